variable "name" {
  description = "Name prefix."
  type        = string
}

variable "subnet_ids" {
  description = "Subnets of the broker."
  type        = list(string)
}

variable "mq_sg_id" {
  description = "Security group of the broker."
  type        = string
}

variable "deployment_mode" {
  description = "SINGLE_INSTANCE or CLUSTER_MULTI_AZ."
  type        = string
}

variable "instance_type" {
  description = "Broker host instance type."
  type        = string
}

variable "engine_version" {
  description = "RabbitMQ engine version."
  type        = string
}

variable "username" {
  description = "Broker user of the application."
  type        = string
  default     = "rnr"
}
