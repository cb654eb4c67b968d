# rnr on AWS: the reference's layout (iam_roles, security_groups,
# data_stores, messaging, app) running the single rnr binary as three
# Lambda handlers and a Fargate worker service.

locals {
  name = "${var.app_name}-${var.environment}"

  # An ECR worker image (<account>.dkr.ecr.<region>.amazonaws.com/<repo>:<tag>)
  # names the one repository the task execution role needs to pull from.
  ecr_image_pattern   = "^([0-9]{12})\\.dkr\\.ecr\\.([a-z0-9-]+)\\.amazonaws\\.com/([^:@]+)"
  worker_ecr          = can(regex(local.ecr_image_pattern, var.worker_image)) ? regex(local.ecr_image_pattern, var.worker_image) : []
  worker_ecr_arns     = length(local.worker_ecr) == 3 ? ["arn:aws:ecr:${local.worker_ecr[1]}:${local.worker_ecr[0]}:repository/${local.worker_ecr[2]}"] : []
  ecr_repository_arns = length(var.ecr_repository_arns) > 0 ? var.ecr_repository_arns : local.worker_ecr_arns
}

data "aws_caller_identity" "current" {}

module "security_groups" {
  source = "./modules/security_groups"
  name   = local.name
  vpc_id = var.vpc_id
}

module "data_stores" {
  source             = "./modules/data_stores"
  name               = local.name
  app_bucket_name    = var.app_bucket_name
  subnet_ids         = var.private_subnet_ids
  redis_sg_id        = module.security_groups.redis_sg_id
  redis_node_type    = var.redis_node_type
  transit_encryption = var.redis_transit_encryption
  at_rest_encryption = var.redis_at_rest_encryption
  redis_auth_token   = var.redis_auth_token
  multi_az           = var.redis_multi_az
  availability_zones = var.redis_availability_zones
}

module "messaging" {
  source          = "./modules/messaging"
  name            = local.name
  subnet_ids      = var.private_subnet_ids
  mq_sg_id        = module.security_groups.mq_sg_id
  deployment_mode = var.mq_deployment_mode
  instance_type   = var.mq_instance_type
  engine_version  = var.mq_engine_version
}

module "iam_roles" {
  source                    = "./modules/iam_roles"
  name                      = local.name
  region                    = var.region
  account_id                = data.aws_caller_identity.current.account_id
  app_bucket_arn            = module.data_stores.app_bucket_arn
  output_s3_key             = var.output_s3_key
  postprocess_output_s3_key = var.postprocess_output_s3_key
  hydrofabric_s3_key        = var.hydrofabric_s3_key
  mq_secret_arn             = module.messaging.secret_arn
  redis_secret_arns         = module.data_stores.redis_secret_arns
  ecs_cluster_name          = local.name
  ecs_service_name          = "${local.name}-worker"
  metric_namespace          = "ECS/Service/RabbitMQ"
  worker_image_secret_arn   = var.worker_image_secret_arn
  ecr_repository_arns       = local.ecr_repository_arns
}

module "app" {
  source                    = "./modules/app"
  name                      = local.name
  region                    = var.region
  subnet_ids                = var.private_subnet_ids
  lambda_sg_id              = module.security_groups.lambda_sg_id
  worker_sg_id              = module.security_groups.worker_sg_id
  app_bucket_name           = module.data_stores.app_bucket_name
  output_s3_key             = var.output_s3_key
  postprocess_output_s3_key = var.postprocess_output_s3_key
  hydrofabric_s3_key        = var.hydrofabric_s3_key
  redis_host                = module.data_stores.redis_host
  redis_port                = module.data_stores.redis_port
  redis_tls                 = module.data_stores.redis_tls
  redis_secret_arns         = module.data_stores.redis_secret_arns
  mq_endpoint               = module.messaging.amqps_endpoint
  mq_broker_name            = module.messaging.broker_name
  mq_secret_arn             = module.messaging.secret_arn
  queue_name                = var.queue_name
  worker_image              = var.worker_image
  worker_image_secret_arn   = var.worker_image_secret_arn
  worker_cpu                = var.worker_cpu
  worker_memory             = var.worker_memory
  min_workers               = var.min_workers
  max_workers               = var.max_workers
  scale_out_backlog         = var.scale_out_backlog
  scale_in_backlog          = var.scale_in_backlog
  lambda_zip_path           = var.lambda_zip_path
  lambda_architecture       = var.lambda_architecture
  producer_role_arn         = module.iam_roles.producer_role_arn
  autoscaler_role_arn       = module.iam_roles.autoscaler_role_arn
  postprocess_role_arn      = module.iam_roles.postprocess_role_arn
  worker_task_role_arn      = module.iam_roles.worker_task_role_arn
  task_execution_role_arn   = module.iam_roles.task_execution_role_arn
  scheduler_role_arn        = module.iam_roles.scheduler_role_arn
  producer_schedule         = var.producer_schedule
  autoscaler_schedule       = var.autoscaler_schedule
  postprocess_schedule      = var.postprocess_schedule
  postprocess_storage_mb    = var.postprocess_storage_mb
  postprocess_memory_mb     = var.postprocess_memory_mb
  schedule_retry_attempts   = var.schedule_retry_attempts
  schedule_max_event_age    = var.schedule_max_event_age
  scheduler_dlq_name        = module.iam_roles.scheduler_dlq_name
  nws_api_url               = var.nws_api_url
  nwps_api_url              = var.nwps_api_url
  user_agent                = var.user_agent
  alarm_email               = var.alarm_email
  log_retention_days        = var.log_retention_days
}
