# The Amazon MQ RabbitMQ broker and the secret holding its credentials
# (RABBITMQ_SECRET_ARN: JSON {"username", "password"}). The queue itself
# (hml_files, durable, plus its dead-letter queue) is declared by rnr.

resource "random_password" "mq" {
  length           = 32
  special          = true
  override_special = "!#%*-_=+"
}

resource "aws_secretsmanager_secret" "mq" {
  name        = "${var.name}-rabbitmq"
  description = "RabbitMQ credentials of the rnr broker"
}

resource "aws_secretsmanager_secret_version" "mq" {
  secret_id = aws_secretsmanager_secret.mq.id
  secret_string = jsonencode({
    username = var.username
    password = random_password.mq.result
  })
}

resource "aws_mq_broker" "rabbit" {
  broker_name                = "${var.name}-broker"
  engine_type                = "RabbitMQ"
  engine_version             = var.engine_version
  host_instance_type         = var.instance_type
  deployment_mode            = var.deployment_mode
  publicly_accessible        = false
  auto_minor_version_upgrade = true
  security_groups            = [var.mq_sg_id]
  # One subnet for a single instance, every given subnet for a cluster.
  subnet_ids = var.deployment_mode == "SINGLE_INSTANCE" ? [var.subnet_ids[0]] : var.subnet_ids

  user {
    username = var.username
    password = random_password.mq.result
  }

  logs {
    general = true
  }
}
