variable "name" {
  description = "Name prefix."
  type        = string
}

variable "region" {
  description = "AWS region."
  type        = string
}

variable "account_id" {
  description = "AWS account id."
  type        = string
}

variable "app_bucket_arn" {
  description = "ARN of the application bucket."
  type        = string
}

variable "output_s3_key" {
  description = "Prefix of the NetCDF outputs."
  type        = string
}

variable "postprocess_output_s3_key" {
  description = "Prefix of the inundation CSVs."
  type        = string
}

variable "hydrofabric_s3_key" {
  description = "Key of the hydrofabric GeoPackage."
  type        = string
}

variable "mq_secret_arn" {
  description = "ARN of the broker credentials secret."
  type        = string
}

variable "ecs_cluster_name" {
  description = "ECS cluster of the workers."
  type        = string
}

variable "ecs_service_name" {
  description = "ECS service of the workers."
  type        = string
}

variable "metric_namespace" {
  description = "CloudWatch namespace of the backlog metric."
  type        = string
}

variable "worker_image_secret_arn" {
  description = "Secret with the private registry credentials of the worker image (empty: none)."
  type        = string
  default     = ""
}

variable "ecr_repository_arns" {
  description = "ECR repositories the task execution role pulls the worker image from (empty: none)."
  type        = list(string)
  default     = []
}

variable "redis_secret_arns" {
  description = "The dedup cache's AUTH token secret, read by the producer (empty: none)."
  type        = list(string)
  default     = []
}
