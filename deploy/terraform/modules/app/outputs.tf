output "ecs_cluster_name" {
  description = "ECS cluster name."
  value       = aws_ecs_cluster.workers.name
}

output "ecs_service_name" {
  description = "ECS service name."
  value       = aws_ecs_service.worker.name
}

output "alarm_topic_arn" {
  description = "SNS topic of the alarms."
  value       = aws_sns_topic.alarms.arn
}
