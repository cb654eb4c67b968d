# The dedup cache (ElastiCache Redis, as the reference, here with TLS and
# AUTH: rnr connects with rediss:// when REDIS_TLS=true) and the existing
# application bucket (its policy is documented in docs/deploy.md).

data "aws_s3_bucket" "app" {
  bucket = var.app_bucket_name
}

resource "aws_elasticache_subnet_group" "redis" {
  name       = "${var.name}-redis"
  subnet_ids = var.subnet_ids
}

# The AUTH token of the cache: var.redis_auth_token when given, else a
# generated one (ElastiCache takes 16-128 printable characters without
# / " @, so the generated token is alphanumeric). AUTH needs in-transit
# encryption, so neither exists without it.
resource "random_password" "redis_auth" {
  count   = var.transit_encryption ? 1 : 0
  length  = 48
  special = false
}

locals {
  redis_auth_token = var.transit_encryption ? try(coalesce(var.redis_auth_token, one(random_password.redis_auth[*].result)), null) : null
}

# REDIS_SECRET_ARN: the token as plain text, read by the producer at start.
resource "aws_secretsmanager_secret" "redis_auth" {
  count       = var.transit_encryption ? 1 : 0
  name        = "${var.name}-redis-auth"
  description = "AUTH token of the rnr dedup cache (ElastiCache Redis)"
}

resource "aws_secretsmanager_secret_version" "redis_auth" {
  count         = var.transit_encryption ? 1 : 0
  secret_id     = aws_secretsmanager_secret.redis_auth[0].id
  secret_string = local.redis_auth_token
}

# A replication group, not a single cluster: only it has in-transit
# encryption with AUTH, and it can keep a replica in a second Availability
# Zone that takes over automatically (var.multi_az).
resource "aws_elasticache_replication_group" "redis" {
  replication_group_id        = "${var.name}-redis"
  description                 = "rnr dedup cache"
  engine                      = "redis"
  engine_version              = "7.1"
  node_type                   = var.redis_node_type
  parameter_group_name        = "default.redis7"
  port                        = 6379
  subnet_group_name           = aws_elasticache_subnet_group.redis.name
  security_group_ids          = [var.redis_sg_id]
  num_cache_clusters          = var.multi_az ? 2 : 1
  automatic_failover_enabled  = var.multi_az
  multi_az_enabled            = var.multi_az
  preferred_cache_cluster_azs = var.multi_az && length(var.availability_zones) >= 2 ? slice(var.availability_zones, 0, 2) : null
  transit_encryption_enabled  = var.transit_encryption
  at_rest_encryption_enabled  = var.at_rest_encryption
  auth_token                  = local.redis_auth_token
  apply_immediately           = false
}
