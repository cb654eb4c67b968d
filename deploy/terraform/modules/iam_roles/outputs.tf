output "producer_role_arn" {
  description = "Role of the producer Lambda."
  value       = aws_iam_role.lambda["producer"].arn
}

output "autoscaler_role_arn" {
  description = "Role of the autoscaler Lambda."
  value       = aws_iam_role.lambda["autoscaler"].arn
}

output "postprocess_role_arn" {
  description = "Role of the post-process Lambda."
  value       = aws_iam_role.lambda["postprocess"].arn
}

output "worker_task_role_arn" {
  description = "Task role of the workers."
  value       = aws_iam_role.worker_task.arn
}

output "task_execution_role_arn" {
  description = "Execution role of the worker tasks."
  value       = aws_iam_role.task_execution.arn
}

output "scheduler_role_arn" {
  description = "Role EventBridge Scheduler assumes to invoke the handlers."
  value       = aws_iam_role.scheduler.arn
}

output "scheduler_dlq_name" {
  description = "Name of the SQS dead-letter queue of EventBridge Scheduler (the scheduler role may send to it)."
  value       = local.scheduler_dlq_name
}
