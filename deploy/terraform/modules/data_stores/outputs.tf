output "app_bucket_name" {
  description = "Application bucket name."
  value       = data.aws_s3_bucket.app.id
}

output "app_bucket_arn" {
  description = "Application bucket ARN."
  value       = data.aws_s3_bucket.app.arn
}

output "redis_host" {
  description = "Address of the cache node."
  value       = aws_elasticache_cluster.redis.cache_nodes[0].address
}

output "redis_port" {
  description = "Port of the cache node."
  value       = aws_elasticache_cluster.redis.port
}
