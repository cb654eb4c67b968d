variable "name" {
  description = "Name prefix."
  type        = string
}

variable "region" {
  description = "AWS region."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets of the Lambdas and workers."
  type        = list(string)
}

variable "lambda_sg_id" {
  description = "Security group of the Lambdas."
  type        = string
}

variable "worker_sg_id" {
  description = "Security group of the workers."
  type        = string
}

variable "app_bucket_name" {
  description = "Application bucket (APP_BUCKET_NAME)."
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

variable "redis_host" {
  description = "Cache address."
  type        = string
}

variable "redis_port" {
  description = "Cache port."
  type        = number
}

variable "redis_tls" {
  description = "The cache speaks TLS (REDIS_TLS)."
  type        = bool
  default     = false
}

variable "redis_secret_arns" {
  description = "The cache's AUTH token secret (REDIS_SECRET_ARN, given to the producer, the cache's only user); empty: no AUTH."
  type        = list(string)
  default     = []
}

variable "mq_endpoint" {
  description = "AMQPS endpoint of the broker."
  type        = string
}

variable "mq_broker_name" {
  description = "Broker name."
  type        = string
}

variable "mq_secret_arn" {
  description = "ARN of the broker credentials secret."
  type        = string
}

variable "queue_name" {
  description = "Work queue name."
  type        = string
}

variable "worker_image" {
  description = "Worker container image."
  type        = string
}

variable "worker_image_secret_arn" {
  description = "Secret with the private registry credentials of the worker image (ECS repositoryCredentials; empty: none)."
  type        = string
  default     = ""
}

variable "worker_cpu" {
  description = "Fargate CPU units."
  type        = number
}

variable "worker_memory" {
  description = "Fargate memory (MiB)."
  type        = number
}

variable "min_workers" {
  description = "Minimum worker tasks."
  type        = number
}

variable "max_workers" {
  description = "Maximum worker tasks."
  type        = number
}

variable "scale_out_backlog" {
  description = "BacklogPerTask that adds a worker."
  type        = number
}

variable "scale_in_backlog" {
  description = "BacklogPerTask below which a worker goes."
  type        = number
}

variable "lambda_zip_path" {
  description = "Lambda deployment package."
  type        = string
}

variable "lambda_architecture" {
  description = "x86_64 or arm64."
  type        = string
}

variable "producer_role_arn" {
  description = "Role of the producer."
  type        = string
}

variable "autoscaler_role_arn" {
  description = "Role of the autoscaler."
  type        = string
}

variable "postprocess_role_arn" {
  description = "Role of the post-processor."
  type        = string
}

variable "worker_task_role_arn" {
  description = "Task role of the workers."
  type        = string
}

variable "task_execution_role_arn" {
  description = "Execution role of the worker tasks."
  type        = string
}

variable "scheduler_role_arn" {
  description = "Role of EventBridge Scheduler."
  type        = string
}

variable "producer_schedule" {
  description = "Producer schedule expression."
  type        = string
}

variable "autoscaler_schedule" {
  description = "Autoscaler schedule expression."
  type        = string
}

variable "postprocess_schedule" {
  description = "Post-process schedule expression."
  type        = string
}

variable "postprocess_storage_mb" {
  description = "Ephemeral storage (/tmp) of the post-process Lambda in MB."
  type        = number
}

variable "postprocess_memory_mb" {
  description = "Memory of the post-process Lambda in MB."
  type        = number
}

variable "schedule_retry_attempts" {
  description = "EventBridge Scheduler retries of an undelivered invocation."
  type        = number
}

variable "schedule_max_event_age" {
  description = "Seconds EventBridge Scheduler retries an undelivered invocation."
  type        = number
}

variable "scheduler_dlq_name" {
  description = "Name of the scheduler's dead-letter queue (the scheduler role may send to it)."
  type        = string
}

variable "nws_api_url" {
  description = "api.weather.gov base URL."
  type        = string
}

variable "nwps_api_url" {
  description = "NWPS API base URL."
  type        = string
}

variable "user_agent" {
  description = "User-Agent for the NWS APIs."
  type        = string
}

variable "alarm_email" {
  description = "Alarm e-mail subscription (empty: none)."
  type        = string
}

variable "log_retention_days" {
  description = "Log retention."
  type        = number
}
