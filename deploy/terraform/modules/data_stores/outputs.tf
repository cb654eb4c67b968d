output "app_bucket_name" {
  description = "Application bucket name."
  value       = data.aws_s3_bucket.app.id
}

output "app_bucket_arn" {
  description = "Application bucket ARN."
  value       = data.aws_s3_bucket.app.arn
}

output "redis_host" {
  description = "Primary endpoint of the cache (follows a failover to the replica)."
  value       = aws_elasticache_replication_group.redis.primary_endpoint_address
}

output "redis_port" {
  description = "Port of the cache."
  value       = aws_elasticache_replication_group.redis.port
}

output "redis_tls" {
  description = "Whether the cache speaks TLS (REDIS_TLS)."
  value       = var.transit_encryption
}

output "redis_secret_arns" {
  description = "The AUTH token secret (REDIS_SECRET_ARN) as a list: empty without in-transit encryption."
  value       = aws_secretsmanager_secret.redis_auth[*].arn
}
