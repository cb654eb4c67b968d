# One role per function and task, each allowed only the actions and
# resources it uses: its S3 prefixes, the one broker secret, PutMetricData
# in its namespace, DescribeServices on the one service, its own log group.

locals {
  bucket_arn      = var.app_bucket_arn
  log_group_arn   = "arn:aws:logs:${var.region}:${var.account_id}:log-group"
  function_arn    = "arn:aws:lambda:${var.region}:${var.account_id}:function"
  ecs_service_arn = "arn:aws:ecs:${var.region}:${var.account_id}:service/${var.ecs_cluster_name}/${var.ecs_service_name}"
  handlers        = ["producer", "autoscaler", "postprocess"]
  # Created by the app module under this name; its ARN is known here so the
  # scheduler role can be scoped to it without a dependency cycle.
  scheduler_dlq_name = "${var.name}-scheduler-dlq"
  scheduler_dlq_arn  = "arn:aws:sqs:${var.region}:${var.account_id}:${local.scheduler_dlq_name}"
}

data "aws_iam_policy_document" "lambda_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "ecs_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "scheduler_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["scheduler.amazonaws.com"]
    }
  }
}

# What every VPC Lambda needs: its log group, its network interfaces, X-Ray.
data "aws_iam_policy_document" "lambda_base" {
  for_each = toset(local.handlers)

  statement {
    sid       = "OwnLogGroup"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${local.log_group_arn}:/aws/lambda/${var.name}-${each.key}:*"]
  }

  # EC2 network-interface actions for VPC Lambdas support no resource-level
  # permissions, so AWS requires "*" here.
  statement {
    sid = "VpcNetworkInterfaces"
    actions = [
      "ec2:CreateNetworkInterface",
      "ec2:DescribeNetworkInterfaces",
      "ec2:DeleteNetworkInterface",
      "ec2:AssignPrivateIpAddresses",
      "ec2:UnassignPrivateIpAddresses",
    ]
    resources = ["*"]
  }

  # X-Ray trace segments cannot be scoped to a resource; AWS requires "*".
  statement {
    sid       = "Tracing"
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    resources = ["*"]
  }
}

data "aws_iam_policy_document" "producer" {
  statement {
    sid       = "BrokerSecret"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [var.mq_secret_arn]
  }

  # The dedup cache's AUTH token (REDIS_SECRET_ARN), when the cache has one.
  dynamic "statement" {
    for_each = length(var.redis_secret_arns) > 0 ? [1] : []
    content {
      sid       = "CacheAuthSecret"
      actions   = ["secretsmanager:GetSecretValue"]
      resources = var.redis_secret_arns
    }
  }
}

data "aws_iam_policy_document" "autoscaler" {
  statement {
    sid       = "BrokerSecret"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [var.mq_secret_arn]
  }

  statement {
    sid       = "WorkerService"
    actions   = ["ecs:DescribeServices"]
    resources = [local.ecs_service_arn]
  }

  # PutMetricData has no resource-level permissions, so AWS requires "*";
  # the condition limits it to the one namespace.
  statement {
    sid       = "BacklogMetric"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "cloudwatch:namespace"
      values   = [var.metric_namespace]
    }
  }
}

data "aws_iam_policy_document" "postprocess" {
  statement {
    sid       = "ListOutputs"
    actions   = ["s3:ListBucket"]
    resources = [local.bucket_arn]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${var.output_s3_key}/*", "${var.postprocess_output_s3_key}/*"]
    }
  }

  statement {
    sid     = "ReadOutputsAndHydrofabric"
    actions = ["s3:GetObject"]
    resources = [
      "${local.bucket_arn}/${var.output_s3_key}/*",
      "${local.bucket_arn}/${var.postprocess_output_s3_key}/*",
      "${local.bucket_arn}/${var.hydrofabric_s3_key}",
      "${local.bucket_arn}/${var.hydrofabric_s3_key}/*",
    ]
  }

  statement {
    sid       = "WriteInundation"
    actions   = ["s3:PutObject"]
    resources = ["${local.bucket_arn}/${var.postprocess_output_s3_key}/*"]
  }
}

data "aws_iam_policy_document" "worker" {
  # The key is a GeoPackage, or a prefix holding the parquet layers and
  # the index beside them (rnr.rnrindex), which the first worker to build
  # it publishes for the others (RNR_HYDROFABRIC_PUBLISH).
  statement {
    sid     = "ReadHydrofabric"
    actions = ["s3:GetObject"]
    resources = [
      "${local.bucket_arn}/${var.hydrofabric_s3_key}",
      "${local.bucket_arn}/${var.hydrofabric_s3_key}/*",
    ]
  }

  statement {
    sid       = "PublishHydrofabricIndex"
    actions   = ["s3:PutObject"]
    resources = ["${local.bucket_arn}/${var.hydrofabric_s3_key}/rnr.rnrindex"]
  }

  statement {
    sid       = "WriteOutputs"
    actions   = ["s3:PutObject"]
    resources = ["${local.bucket_arn}/${var.output_s3_key}/*"]
  }

  statement {
    sid       = "BrokerSecret"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [var.mq_secret_arn]
  }
}

# What ECS itself does for a worker task before it starts: pull the image
# (from ECR, or from a private registry with repositoryCredentials) and
# create the log stream.
data "aws_iam_policy_document" "task_execution" {
  statement {
    sid       = "WorkerLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${local.log_group_arn}:/ecs/${var.name}-worker:*"]
  }

  # An ECR registry token is account-wide: GetAuthorizationToken supports
  # no resource-level permissions, so AWS requires "*" here.
  statement {
    sid       = "EcrAuthToken"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }

  dynamic "statement" {
    for_each = length(var.ecr_repository_arns) > 0 ? [1] : []
    content {
      sid       = "EcrPullWorkerImage"
      actions   = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
      resources = var.ecr_repository_arns
    }
  }

  dynamic "statement" {
    for_each = var.worker_image_secret_arn == "" ? [] : [1]
    content {
      sid       = "RegistryCredentials"
      actions   = ["secretsmanager:GetSecretValue"]
      resources = [var.worker_image_secret_arn]
    }
  }
}

data "aws_iam_policy_document" "scheduler" {
  statement {
    sid       = "InvokeHandlers"
    actions   = ["lambda:InvokeFunction"]
    resources = [for h in local.handlers : "${local.function_arn}:${var.name}-${h}"]
  }

  # Invocations the scheduler could not deliver after its retries.
  statement {
    sid       = "DeadLetters"
    actions   = ["sqs:SendMessage"]
    resources = [local.scheduler_dlq_arn]
  }
}

resource "aws_iam_role" "lambda" {
  for_each           = toset(local.handlers)
  name               = "${var.name}-${each.key}"
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json
}

resource "aws_iam_role_policy" "lambda_base" {
  for_each = toset(local.handlers)
  name     = "base"
  role     = aws_iam_role.lambda[each.key].id
  policy   = data.aws_iam_policy_document.lambda_base[each.key].json
}

resource "aws_iam_role_policy" "producer" {
  name   = "producer"
  role   = aws_iam_role.lambda["producer"].id
  policy = data.aws_iam_policy_document.producer.json
}

resource "aws_iam_role_policy" "autoscaler" {
  name   = "autoscaler"
  role   = aws_iam_role.lambda["autoscaler"].id
  policy = data.aws_iam_policy_document.autoscaler.json
}

resource "aws_iam_role_policy" "postprocess" {
  name   = "postprocess"
  role   = aws_iam_role.lambda["postprocess"].id
  policy = data.aws_iam_policy_document.postprocess.json
}

resource "aws_iam_role" "worker_task" {
  name               = "${var.name}-worker-task"
  assume_role_policy = data.aws_iam_policy_document.ecs_assume.json
}

resource "aws_iam_role_policy" "worker" {
  name   = "worker"
  role   = aws_iam_role.worker_task.id
  policy = data.aws_iam_policy_document.worker.json
}

resource "aws_iam_role" "task_execution" {
  name               = "${var.name}-task-execution"
  assume_role_policy = data.aws_iam_policy_document.ecs_assume.json
}

resource "aws_iam_role_policy" "task_execution" {
  name   = "execution"
  role   = aws_iam_role.task_execution.id
  policy = data.aws_iam_policy_document.task_execution.json
}

resource "aws_iam_role" "scheduler" {
  name               = "${var.name}-scheduler"
  assume_role_policy = data.aws_iam_policy_document.scheduler_assume.json
}

resource "aws_iam_role_policy" "scheduler" {
  name   = "invoke"
  role   = aws_iam_role.scheduler.id
  policy = data.aws_iam_policy_document.scheduler.json
}
