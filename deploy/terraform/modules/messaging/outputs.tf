output "broker_name" {
  description = "Broker name (MQ_BROKER_NAME)."
  value       = aws_mq_broker.rabbit.broker_name
}

output "amqps_endpoint" {
  description = "AMQPS endpoint of the first broker instance (RABBITMQ_ENDPOINT)."
  value       = aws_mq_broker.rabbit.instances[0].endpoints[0]
}

output "secret_arn" {
  description = "ARN of the credentials secret (RABBITMQ_SECRET_ARN)."
  value       = aws_secretsmanager_secret.mq.arn
}
