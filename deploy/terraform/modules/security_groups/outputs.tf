output "lambda_sg_id" {
  description = "Security group of the Lambda handlers."
  value       = aws_security_group.lambda.id
}

output "worker_sg_id" {
  description = "Security group of the worker tasks."
  value       = aws_security_group.worker.id
}

output "mq_sg_id" {
  description = "Security group of the broker."
  value       = aws_security_group.mq.id
}

output "redis_sg_id" {
  description = "Security group of the cache."
  value       = aws_security_group.redis.id
}
