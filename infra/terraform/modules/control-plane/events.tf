# The domain-event bus, the schedule of the periodic work, and ECS state changes to the instances side.

resource "aws_cloudwatch_event_bus" "main" {
  name = "bbws-events-${local.env}"
  tags = local.tags
}

# Consumers of lifecycle events inside the platform get them as jobs through the outbox, not from the bus; the
# bus serves subscribers outside it. The archive lets an event be replayed to a subscriber that missed it.
resource "aws_cloudwatch_event_archive" "main" {
  name             = "bbws-events-${local.env}"
  event_source_arn = aws_cloudwatch_event_bus.main.arn
  retention_days   = 30
}

# AWS services (ECS, the scheduler of rules) publish on the account's default bus, so these rules live there.
resource "aws_cloudwatch_event_rule" "ecs" {
  name        = "bbws-ecs-events-${local.env}"
  description = "ECS service actions, deployments and task state changes of BBWS tenant instances"
  event_pattern = jsonencode({
    source        = ["aws.ecs"]
    "detail-type" = ["ECS Service Action", "ECS Deployment State Change", "ECS Task State Change"]
  })
  tags = local.tags
}

resource "aws_cloudwatch_event_target" "ecs" {
  rule = aws_cloudwatch_event_rule.ecs.name
  arn  = aws_lambda_alias.live["ecs-events"].arn
  dead_letter_config {
    arn = aws_sqs_queue.failures.arn
  }
  retry_policy {
    maximum_retry_attempts       = 8
    maximum_event_age_in_seconds = 3600
  }
}

resource "aws_cloudwatch_event_rule" "schedule" {
  name                = "bbws-scheduled-${local.env}"
  description         = "Health sweep, reaper and webhook retries of BBWS ${local.env}"
  schedule_expression = "rate(1 minute)"
  tags                = local.tags
}

resource "aws_cloudwatch_event_target" "schedule" {
  rule = aws_cloudwatch_event_rule.schedule.name
  arn  = aws_lambda_alias.live["scheduled"].arn
}

resource "aws_lambda_permission" "ecs" {
  statement_id  = "ecs-events"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this["ecs-events"].function_name
  qualifier     = aws_lambda_alias.live["ecs-events"].name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.ecs.arn
}

resource "aws_lambda_permission" "schedule" {
  statement_id  = "schedule"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this["scheduled"].function_name
  qualifier     = aws_lambda_alias.live["scheduled"].name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.schedule.arn
}

# EventBridge delivers what the ECS target could not into the failures queue.
data "aws_iam_policy_document" "failures" {
  statement {
    actions   = ["sqs:SendMessage"]
    resources = ["arn:${data.aws_partition.current.partition}:sqs:${local.region}:${local.account}:${local.failures_queue}"]
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_cloudwatch_event_rule.ecs.arn]
    }
  }
}
