variable "name" {
  description = "Name prefix."
  type        = string
}

variable "app_bucket_name" {
  description = "Existing application bucket."
  type        = string
}

variable "subnet_ids" {
  description = "Subnets of the cache."
  type        = list(string)
}

variable "redis_sg_id" {
  description = "Security group of the cache."
  type        = string
}

variable "redis_node_type" {
  description = "ElastiCache node type."
  type        = string
}

variable "transit_encryption" {
  description = "TLS between rnr and the cache, with an AUTH token (rnr: REDIS_TLS=true)."
  type        = bool
  default     = true
}

variable "at_rest_encryption" {
  description = "Encrypt the cache's data and snapshots at rest."
  type        = bool
  default     = true
}

variable "redis_auth_token" {
  description = "AUTH token of the cache (16-128 characters, no / \" @); null: generated."
  type        = string
  default     = null
  sensitive   = true
  validation {
    condition     = var.redis_auth_token == null || can(regex("^[^/\"@]{16,128}$", var.redis_auth_token))
    error_message = "redis_auth_token must be 16-128 characters without /, \" or @."
  }
}

variable "multi_az" {
  description = "Add a replica in a second Availability Zone with automatic failover (the subnets must span two zones)."
  type        = bool
  default     = false
}

variable "availability_zones" {
  description = "Zones of the primary and the replica when multi_az (empty: ElastiCache picks from the subnets)."
  type        = list(string)
  default     = []
}
