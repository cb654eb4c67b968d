# Security groups with restricted egress: each group may reach only the
# ports it needs. HTTPS egress to 0.0.0.0/0 stays open for the callers of
# public HTTPS APIs (api.weather.gov, NWPS, and the AWS APIs when the VPC
# has no interface endpoints): those have no fixed address ranges.

resource "aws_security_group" "lambda" {
  name        = "${var.name}-lambda"
  description = "rnr Lambda handlers (producer, autoscaler, postprocess)"
  vpc_id      = var.vpc_id
}

resource "aws_security_group" "worker" {
  name        = "${var.name}-worker"
  description = "rnr Fargate workers"
  vpc_id      = var.vpc_id
}

resource "aws_security_group" "mq" {
  name        = "${var.name}-mq"
  description = "Amazon MQ RabbitMQ broker"
  vpc_id      = var.vpc_id
}

resource "aws_security_group" "redis" {
  name        = "${var.name}-redis"
  description = "ElastiCache Redis dedup cache"
  vpc_id      = var.vpc_id
}

# Clients -> broker (AMQPS 5671) and broker management API (443).
resource "aws_vpc_security_group_ingress_rule" "mq_amqps_from_lambda" {
  security_group_id            = aws_security_group.mq.id
  referenced_security_group_id = aws_security_group.lambda.id
  ip_protocol                  = "tcp"
  from_port                    = 5671
  to_port                      = 5671
}

resource "aws_vpc_security_group_ingress_rule" "mq_https_from_lambda" {
  security_group_id            = aws_security_group.mq.id
  referenced_security_group_id = aws_security_group.lambda.id
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
}

resource "aws_vpc_security_group_ingress_rule" "mq_amqps_from_worker" {
  security_group_id            = aws_security_group.mq.id
  referenced_security_group_id = aws_security_group.worker.id
  ip_protocol                  = "tcp"
  from_port                    = 5671
  to_port                      = 5671
}

resource "aws_vpc_security_group_ingress_rule" "redis_from_lambda" {
  security_group_id            = aws_security_group.redis.id
  referenced_security_group_id = aws_security_group.lambda.id
  ip_protocol                  = "tcp"
  from_port                    = 6379
  to_port                      = 6379
}

resource "aws_vpc_security_group_egress_rule" "lambda_to_mq" {
  security_group_id            = aws_security_group.lambda.id
  referenced_security_group_id = aws_security_group.mq.id
  ip_protocol                  = "tcp"
  from_port                    = 5671
  to_port                      = 5671
}

resource "aws_vpc_security_group_egress_rule" "lambda_to_mq_api" {
  security_group_id            = aws_security_group.lambda.id
  referenced_security_group_id = aws_security_group.mq.id
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
}

resource "aws_vpc_security_group_egress_rule" "lambda_to_redis" {
  security_group_id            = aws_security_group.lambda.id
  referenced_security_group_id = aws_security_group.redis.id
  ip_protocol                  = "tcp"
  from_port                    = 6379
  to_port                      = 6379
}

resource "aws_vpc_security_group_egress_rule" "lambda_https" {
  security_group_id = aws_security_group.lambda.id
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

resource "aws_vpc_security_group_egress_rule" "worker_to_mq" {
  security_group_id            = aws_security_group.worker.id
  referenced_security_group_id = aws_security_group.mq.id
  ip_protocol                  = "tcp"
  from_port                    = 5671
  to_port                      = 5671
}

resource "aws_vpc_security_group_egress_rule" "worker_https" {
  security_group_id = aws_security_group.worker.id
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}
