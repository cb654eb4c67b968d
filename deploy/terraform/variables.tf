variable "region" {
  description = "AWS region to deploy into."
  type        = string
  default     = "us-east-1"
}

variable "app_name" {
  description = "Name prefix of every resource."
  type        = string
  default     = "rnr"
}

variable "environment" {
  description = "Deployment environment (test, staging, prod)."
  type        = string
  default     = "test"
}

variable "vpc_id" {
  description = "VPC that hosts the broker, the cache and the workers."
  type        = string
}

variable "private_subnet_ids" {
  description = "Private subnets (with a NAT route to the NWS APIs) for the workers, Lambdas, broker and cache. CLUSTER_MULTI_AZ needs at least two."
  type        = list(string)
}

variable "app_bucket_name" {
  description = "Existing S3 bucket for the hydrofabric, the outputs and the post-processed CSVs (APP_BUCKET_NAME)."
  type        = string
}

variable "output_s3_key" {
  description = "Key prefix of the routed NetCDF outputs (APP_OUTPUT_S3_KEY)."
  type        = string
  default     = "replace_and_route"
}

variable "postprocess_output_s3_key" {
  description = "Key prefix of the inundation CSVs (POSTPROCESS_OUTPUT_S3_KEY)."
  type        = string
  default     = "rnr_postprocess"
}

variable "hydrofabric_s3_key" {
  description = "Key of the hydrofabric GeoPackage the workers download at start (HYDROFABRIC_S3_KEY)."
  type        = string
  default     = "hydrofabric/v2.2/conus_nextgen.gpkg"
}

variable "worker_image" {
  description = "Container image of the worker (ghcr.io/<owner>/rnr-worker:<tag>)."
  type        = string
}

variable "worker_image_secret_arn" {
  description = "Secrets Manager secret ({\"username\",\"password\"}) the tasks pull a private registry's image with (ECS repositoryCredentials); empty: none (public or ECR image)."
  type        = string
  default     = ""
}

variable "ecr_repository_arns" {
  description = "ECR repositories the task execution role may pull from; empty: the repository of worker_image when it is an ECR image."
  type        = list(string)
  default     = []
}

variable "lambda_zip_path" {
  description = "Path of dist/rnr-lambda-<arch>.zip built by `make lambda-zip`."
  type        = string
  default     = "../../dist/rnr-lambda-x86_64.zip"
}

variable "lambda_architecture" {
  description = "Lambda architecture matching the zip: x86_64 or arm64."
  type        = string
  default     = "x86_64"
}

variable "mq_deployment_mode" {
  description = "Amazon MQ deployment mode: SINGLE_INSTANCE (test) or CLUSTER_MULTI_AZ (production)."
  type        = string
  default     = "SINGLE_INSTANCE"
  validation {
    condition     = contains(["SINGLE_INSTANCE", "CLUSTER_MULTI_AZ"], var.mq_deployment_mode)
    error_message = "mq_deployment_mode must be SINGLE_INSTANCE or CLUSTER_MULTI_AZ."
  }
}

variable "mq_instance_type" {
  description = "Amazon MQ host type. mq.t3.micro is for evaluation only; use mq.m5.large or larger in production."
  type        = string
  default     = "mq.t3.micro"
}

variable "mq_engine_version" {
  description = "RabbitMQ engine version of the broker."
  type        = string
  default     = "3.13"
}

variable "queue_name" {
  description = "Work queue name (MQ_QUEUE_NAME)."
  type        = string
  default     = "hml_files"
}

variable "redis_node_type" {
  description = "ElastiCache node type of the dedup cache."
  type        = string
  default     = "cache.t3.micro"
}

variable "worker_cpu" {
  description = "Fargate CPU units of a worker task."
  type        = number
  default     = 1024
}

variable "worker_memory" {
  description = "Fargate memory (MiB) of a worker task."
  type        = number
  default     = 4096
}

variable "min_workers" {
  description = "Minimum number of worker tasks."
  type        = number
  default     = 1
}

variable "max_workers" {
  description = "Maximum number of worker tasks."
  type        = number
  default     = 6
}

variable "scale_out_backlog" {
  description = "BacklogPerTask at or above which one worker is added."
  type        = number
  default     = 100
}

variable "scale_in_backlog" {
  description = "BacklogPerTask below which one worker is removed; must be below scale_out_backlog (hysteresis)."
  type        = number
  default     = 50
}

variable "producer_schedule" {
  description = "EventBridge Scheduler expression of the producer."
  type        = string
  default     = "rate(5 minutes)"
}

variable "autoscaler_schedule" {
  description = "EventBridge Scheduler expression of the autoscaler."
  type        = string
  default     = "rate(1 minute)"
}

variable "postprocess_schedule" {
  description = "EventBridge Scheduler expression of the post-processor."
  type        = string
  default     = "cron(0/10 * * * ? *)"
}

# The post-processor downloads the hydrofabric into /tmp on a cold start:
# the CONUS GeoPackage is about 4.6 GB, far over Lambda's default 512 MB of
# ephemeral storage, and opening it unindexed builds its index in memory.
variable "postprocess_storage_mb" {
  description = "Ephemeral storage (/tmp) of the post-process Lambda in MB (512-10240): the hydrofabric plus the outputs of one window."
  type        = number
  default     = 10240
  validation {
    condition     = var.postprocess_storage_mb >= 512 && var.postprocess_storage_mb <= 10240
    error_message = "postprocess_storage_mb must be between 512 and 10240."
  }
}

variable "postprocess_memory_mb" {
  description = "Memory of the post-process Lambda in MB (128-10240; CPU scales with it)."
  type        = number
  default     = 4096
  validation {
    condition     = var.postprocess_memory_mb >= 128 && var.postprocess_memory_mb <= 10240
    error_message = "postprocess_memory_mb must be between 128 and 10240."
  }
}

variable "schedule_retry_attempts" {
  description = "Retries of an EventBridge Scheduler invocation that could not be delivered (0-185); what still fails goes to the scheduler dead-letter queue."
  type        = number
  default     = 2
}

variable "schedule_max_event_age" {
  description = "Seconds EventBridge Scheduler keeps retrying an undelivered invocation (60-86400)."
  type        = number
  default     = 240
}

variable "nws_api_url" {
  description = "Base URL of api.weather.gov (NWS_API_URL)."
  type        = string
  default     = "https://api.weather.gov"
}

variable "nwps_api_url" {
  description = "Base URL of the NWPS API (NWPS_API_URL)."
  type        = string
  default     = "https://api.water.noaa.gov/nwps/v1"
}

variable "user_agent" {
  description = "User-Agent sent to the NWS APIs; api.weather.gov requires one that identifies the application and a contact."
  type        = string
  default     = "(rnr, ops@example.org)"
}

variable "alarm_email" {
  description = "E-mail address subscribed to the alarm topic (empty: no subscription)."
  type        = string
  default     = ""
}

variable "log_retention_days" {
  description = "CloudWatch Logs retention of every log group."
  type        = number
  default     = 30
}

variable "redis_transit_encryption" {
  description = "TLS and an AUTH token for the dedup cache (rnr connects with rediss://)."
  type        = bool
  default     = true
}

variable "redis_at_rest_encryption" {
  description = "Encrypt the dedup cache at rest."
  type        = bool
  default     = true
}

variable "redis_auth_token" {
  description = "AUTH token of the dedup cache (16-128 characters, no / \" @); null: generated. Kept in Secrets Manager."
  type        = string
  default     = null
  sensitive   = true
}

variable "redis_multi_az" {
  description = "A replica of the dedup cache in a second Availability Zone, with automatic failover."
  type        = bool
  default     = false
}

variable "redis_availability_zones" {
  description = "Zones of the cache's primary and replica when redis_multi_az (empty: from the subnets)."
  type        = list(string)
  default     = []
}
