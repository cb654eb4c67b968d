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
