# The application: three Lambda handlers of the one rnr binary (custom
# runtime, handler name = service), the Fargate worker service, their
# schedules, step scaling on BacklogPerTask, and alarms with an SNS topic.

locals {
  namespace    = "ECS/Service/RabbitMQ"
  cluster_name = var.name
  service_name = "${var.name}-worker"
  common_env = {
    RABBITMQ_ENDPOINT         = var.mq_endpoint
    RABBITMQ_SECRET_ARN       = var.mq_secret_arn
    MQ_BROKER_NAME            = var.mq_broker_name
    MQ_QUEUE_NAME             = var.queue_name
    REDIS_HOST                = var.redis_host
    REDIS_PORT                = tostring(var.redis_port)
    REDIS_TLS                 = tostring(var.redis_tls)
    APP_BUCKET_NAME           = var.app_bucket_name
    APP_OUTPUT_S3_KEY         = var.output_s3_key
    POSTPROCESS_OUTPUT_S3_KEY = var.postprocess_output_s3_key
    HYDROFABRIC_S3_KEY        = var.hydrofabric_s3_key
    ECS_CLUSTER_NAME          = local.cluster_name
    ECS_SERVICE_NAME          = local.service_name
    NWS_API_URL               = var.nws_api_url
    NWPS_API_URL              = var.nwps_api_url
    NWS_USER_AGENT            = var.user_agent
    RNR_LOG_FORMAT            = "json"
  }
  # storage: /tmp in MB (512 is Lambda's default); the post-processor keeps
  # the hydrofabric there.
  handlers = {
    producer    = { role = var.producer_role_arn, schedule = var.producer_schedule, timeout = 240, memory = 256, storage = 512 }
    autoscaler  = { role = var.autoscaler_role_arn, schedule = var.autoscaler_schedule, timeout = 50, memory = 128, storage = 512 }
    postprocess = { role = var.postprocess_role_arn, schedule = var.postprocess_schedule, timeout = 540, memory = var.postprocess_memory_mb, storage = var.postprocess_storage_mb }
  }
  # A private registry's image (e.g. a private GHCR package) is pulled with
  # the credentials in this secret; ECR and public images need none.
  repository_credentials = {
    for k, v in { repositoryCredentials = { credentialsParameter = var.worker_image_secret_arn } } : k => v
    if var.worker_image_secret_arn != ""
  }
}

resource "aws_cloudwatch_log_group" "lambda" {
  for_each          = local.handlers
  name              = "/aws/lambda/${var.name}-${each.key}"
  retention_in_days = var.log_retention_days
}

resource "aws_cloudwatch_log_group" "worker" {
  name              = "/ecs/${var.name}-worker"
  retention_in_days = var.log_retention_days
}

resource "aws_lambda_function" "handler" {
  for_each         = local.handlers
  function_name    = "${var.name}-${each.key}"
  role             = each.value.role
  runtime          = "provided.al2023"
  handler          = each.key
  architectures    = [var.lambda_architecture]
  filename         = var.lambda_zip_path
  source_code_hash = filebase64sha256(var.lambda_zip_path)
  timeout          = each.value.timeout
  memory_size      = each.value.memory

  ephemeral_storage {
    size = each.value.storage
  }

  vpc_config {
    subnet_ids         = var.subnet_ids
    security_group_ids = [var.lambda_sg_id]
  }

  tracing_config {
    mode = "Active"
  }

  environment {
    # The cache's AUTH token secret goes to the producer, the cache's one user.
    variables = merge(
      local.common_env,
      { SSL_CERT_FILE = "/etc/pki/tls/certs/ca-bundle.crt" },
      { for arn in var.redis_secret_arns : "REDIS_SECRET_ARN" => arn if each.key == "producer" },
    )
  }

  depends_on = [aws_cloudwatch_log_group.lambda]
}

resource "aws_scheduler_schedule" "handler" {
  for_each                     = local.handlers
  name                         = "${var.name}-${each.key}"
  schedule_expression          = each.value.schedule
  schedule_expression_timezone = "UTC"

  flexible_time_window {
    mode = "OFF"
  }

  # Retries cover invocations the scheduler could not deliver (throttling,
  # a function being updated); what still fails lands in the dead-letter
  # queue, which has its own alarm. Function errors are alarmed on below.
  target {
    arn      = aws_lambda_function.handler[each.key].arn
    role_arn = var.scheduler_role_arn
    input    = jsonencode({ source = "rnr.schedule", handler = each.key })
    retry_policy {
      maximum_retry_attempts       = var.schedule_retry_attempts
      maximum_event_age_in_seconds = var.schedule_max_event_age
    }
    dead_letter_config {
      arn = aws_sqs_queue.scheduler_dlq.arn
    }
  }
}

resource "aws_sqs_queue" "scheduler_dlq" {
  name                      = var.scheduler_dlq_name
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = true
}

resource "aws_ecs_cluster" "workers" {
  name = local.cluster_name
  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

resource "aws_ecs_task_definition" "worker" {
  family                   = local.service_name
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.worker_cpu
  memory                   = var.worker_memory
  task_role_arn            = var.worker_task_role_arn
  execution_role_arn       = var.task_execution_role_arn

  container_definitions = jsonencode([merge(local.repository_credentials, {
    name        = "worker"
    image       = var.worker_image
    essential   = true
    stopTimeout = 60
    environment = [for k, v in local.common_env : { name = k, value = v }]
    healthCheck = {
      command     = ["CMD", "rnr", "health", "--file", "/tmp/rnr-worker.health", "--max-age", "120"]
      interval    = 30
      timeout     = 5
      retries     = 3
      startPeriod = 120
    }
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.worker.name
        awslogs-region        = var.region
        awslogs-stream-prefix = "worker"
      }
    }
  })])
}

resource "aws_ecs_service" "worker" {
  name            = local.service_name
  cluster         = aws_ecs_cluster.workers.id
  task_definition = aws_ecs_task_definition.worker.arn
  desired_count   = var.min_workers
  launch_type     = "FARGATE"

  network_configuration {
    subnets          = var.subnet_ids
    security_groups  = [var.worker_sg_id]
    assign_public_ip = false
  }

  lifecycle {
    ignore_changes = [desired_count]
  }
}

resource "aws_appautoscaling_target" "worker" {
  service_namespace  = "ecs"
  resource_id        = "service/${aws_ecs_cluster.workers.name}/${aws_ecs_service.worker.name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = var.min_workers
  max_capacity       = var.max_workers
}

resource "aws_appautoscaling_policy" "scale_out" {
  name               = "${var.name}-scale-out"
  service_namespace  = aws_appautoscaling_target.worker.service_namespace
  resource_id        = aws_appautoscaling_target.worker.resource_id
  scalable_dimension = aws_appautoscaling_target.worker.scalable_dimension
  policy_type        = "StepScaling"

  step_scaling_policy_configuration {
    adjustment_type         = "ChangeInCapacity"
    cooldown                = 60
    metric_aggregation_type = "Average"
    step_adjustment {
      metric_interval_lower_bound = 0
      scaling_adjustment          = 1
    }
  }
}

resource "aws_appautoscaling_policy" "scale_in" {
  name               = "${var.name}-scale-in"
  service_namespace  = aws_appautoscaling_target.worker.service_namespace
  resource_id        = aws_appautoscaling_target.worker.resource_id
  scalable_dimension = aws_appautoscaling_target.worker.scalable_dimension
  policy_type        = "StepScaling"

  step_scaling_policy_configuration {
    adjustment_type         = "ChangeInCapacity"
    cooldown                = 120
    metric_aggregation_type = "Average"
    step_adjustment {
      metric_interval_upper_bound = 0
      scaling_adjustment          = -1
    }
  }
}

# The scale-in threshold sits below the scale-out threshold so a backlog
# near one threshold cannot make the service flap.
resource "aws_cloudwatch_metric_alarm" "backlog_high" {
  alarm_name          = "${var.name}-backlog-high"
  namespace           = local.namespace
  metric_name         = "BacklogPerTask"
  dimensions          = { ClusterName = local.cluster_name, ServiceName = local.service_name, QueueName = var.queue_name }
  statistic           = "Average"
  period              = 60
  evaluation_periods  = 2
  threshold           = var.scale_out_backlog
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_appautoscaling_policy.scale_out.arn]
}

resource "aws_cloudwatch_metric_alarm" "backlog_low" {
  alarm_name          = "${var.name}-backlog-low"
  namespace           = local.namespace
  metric_name         = "BacklogPerTask"
  dimensions          = { ClusterName = local.cluster_name, ServiceName = local.service_name, QueueName = var.queue_name }
  statistic           = "Average"
  period              = 60
  evaluation_periods  = 2
  threshold           = var.scale_in_backlog
  comparison_operator = "LessThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_appautoscaling_policy.scale_in.arn]
}

resource "aws_sns_topic" "alarms" {
  name = "${var.name}-alarms"
}

resource "aws_sns_topic_subscription" "email" {
  count     = var.alarm_email == "" ? 0 : 1
  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = var.alarm_email
}

# Messages that failed every delivery wait in the dead-letter queue; the
# autoscaler publishes its depth next to the backlog.
resource "aws_cloudwatch_metric_alarm" "dead_letters" {
  alarm_name          = "${var.name}-dead-letters"
  namespace           = local.namespace
  metric_name         = "DeadLetterDepth"
  dimensions          = { ClusterName = local.cluster_name, ServiceName = local.service_name, QueueName = var.queue_name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
}

resource "aws_cloudwatch_log_metric_filter" "worker_errors" {
  name           = "${var.name}-worker-errors"
  log_group_name = aws_cloudwatch_log_group.worker.name
  pattern        = "{ $.level = \"error\" }"
  metric_transformation {
    name      = "WorkerErrors"
    namespace = "rnr/${var.name}"
    value     = "1"
  }
}

resource "aws_cloudwatch_metric_alarm" "worker_errors" {
  alarm_name          = "${var.name}-worker-errors"
  namespace           = "rnr/${var.name}"
  metric_name         = "WorkerErrors"
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 5
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
}

resource "aws_cloudwatch_metric_alarm" "producer_failures" {
  alarm_name          = "${var.name}-producer-failures"
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = aws_lambda_function.handler["producer"].function_name }
  statistic           = "Sum"
  period              = 900
  evaluation_periods  = 1
  threshold           = 2
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
}

# A dead autoscaler publishes no BacklogPerTask at all: the scaling alarms
# above see missing data (notBreaching) and nothing scales or alerts. This
# alarm counts the datapoints and treats their absence as breaching.
resource "aws_cloudwatch_metric_alarm" "backlog_missing" {
  alarm_name          = "${var.name}-backlog-metric-missing"
  alarm_description   = "No BacklogPerTask datapoints: the autoscaler Lambda is not running or not publishing."
  namespace           = local.namespace
  metric_name         = "BacklogPerTask"
  dimensions          = { ClusterName = local.cluster_name, ServiceName = local.service_name, QueueName = var.queue_name }
  statistic           = "SampleCount"
  period              = 300
  evaluation_periods  = 2
  threshold           = 1
  comparison_operator = "LessThanThreshold"
  treat_missing_data  = "breaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
}

# Errors of the autoscaler (every minute) and the post-processor (every ten
# minutes): a few failed runs in a row, not one transient failure.
resource "aws_cloudwatch_metric_alarm" "handler_errors" {
  for_each            = { autoscaler = { period = 300, threshold = 3 }, postprocess = { period = 1800, threshold = 2 } }
  alarm_name          = "${var.name}-${each.key}-errors"
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = aws_lambda_function.handler[each.key].function_name }
  statistic           = "Sum"
  period              = each.value.period
  evaluation_periods  = 1
  threshold           = each.value.threshold
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
}

resource "aws_cloudwatch_metric_alarm" "scheduler_dead_letters" {
  alarm_name          = "${var.name}-scheduler-dead-letters"
  alarm_description   = "EventBridge Scheduler could not invoke a handler after its retries."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.scheduler_dlq.name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
}
