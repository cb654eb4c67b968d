output "ecs_cluster_name" {
  description = "ECS cluster of the workers (ECS_CLUSTER_NAME)."
  value       = module.app.ecs_cluster_name
}

output "ecs_service_name" {
  description = "ECS service of the workers (ECS_SERVICE_NAME)."
  value       = module.app.ecs_service_name
}

output "mq_broker_name" {
  description = "Amazon MQ broker name (MQ_BROKER_NAME)."
  value       = module.messaging.broker_name
}

output "mq_amqps_endpoint" {
  description = "AMQPS endpoint of the broker (RABBITMQ_ENDPOINT)."
  value       = module.messaging.amqps_endpoint
}

output "redis_host" {
  description = "ElastiCache endpoint (REDIS_HOST)."
  value       = module.data_stores.redis_host
}

output "alarm_topic_arn" {
  description = "SNS topic that receives every alarm."
  value       = module.app.alarm_topic_arn
}

output "role_arns" {
  description = "Role ARNs to name in the bucket policy (docs/deploy.md)."
  value = {
    producer    = module.iam_roles.producer_role_arn
    postprocess = module.iam_roles.postprocess_role_arn
    worker      = module.iam_roles.worker_task_role_arn
  }
}
