# Least privilege: one role per function, granted only the grants (below) its code uses.

locals {
  table_arns = [aws_dynamodb_table.main.arn, "${aws_dynamodb_table.main.arn}/index/*"]
  grants = {
    table = {
      actions = [
        "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem",
        "dynamodb:DeleteItem", "dynamodb:BatchWriteItem", "dynamodb:TransactWriteItems",
        "dynamodb:ConditionCheckItem", "dynamodb:DescribeTable",
      ]
      resources = local.table_arns
    }
    stream = {
      actions   = ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"]
      resources = [aws_dynamodb_table.main.stream_arn]
    }
    send_jobs = {
      actions   = ["sqs:SendMessage", "sqs:GetQueueAttributes"]
      resources = [aws_sqs_queue.jobs.arn]
    }
    consume_jobs = {
      actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"]
      resources = [aws_sqs_queue.jobs.arn]
    }
    # The DLQ is read, redriven and purged by the admin routes and the reaper; its handler consumes it.
    dlq = {
      actions = [
        "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes",
        "sqs:SendMessage",
      ]
      resources = [aws_sqs_queue.jobs_dlq.arn]
    }
    publish = {
      actions   = ["events:PutEvents"]
      resources = [aws_cloudwatch_event_bus.main.arn]
    }
    artifacts = {
      actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
      resources = ["${aws_s3_bucket.artifacts.arn}/sites/*"]
    }
    list_artifacts = {
      actions   = ["s3:ListBucket"]
      resources = [aws_s3_bucket.artifacts.arn]
    }
  }
  function_grants = {
    tenants        = ["table", "send_jobs", "dlq"]
    sites          = ["table", "artifacts", "list_artifacts"]
    instances      = ["table"]
    "sqs-worker"   = ["table", "consume_jobs", "send_jobs", "artifacts", "list_artifacts", "publish"]
    "outbox-relay" = ["table", "stream", "send_jobs", "publish"]
    scheduled      = ["table", "dlq", "send_jobs", "artifacts", "list_artifacts"]
    "ecs-events"   = ["table"]
    dlq            = ["table", "dlq"]
  }
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "function" {
  for_each           = local.functions
  name               = "bbws-${each.key}-${local.env}"
  assume_role_policy = data.aws_iam_policy_document.assume.json
  tags               = local.tags
}

data "aws_iam_policy_document" "function" {
  for_each = local.functions

  # Its own log group only (the group exists before the function: no logs:CreateLogGroup).
  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.functions[each.key].arn}:*"]
  }
  # X-Ray takes no resource-level permissions.
  statement {
    sid       = "Tracing"
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    resources = ["*"]
  }
  statement {
    sid       = "Key"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.main.arn]
  }
  statement {
    sid       = "Failures"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.failures.arn]
  }
  dynamic "statement" {
    for_each = local.function_grants[each.key]
    content {
      sid       = replace(title(replace(statement.value, "_", " ")), " ", "")
      actions   = local.grants[statement.value].actions
      resources = local.grants[statement.value].resources
    }
  }
}

resource "aws_iam_role_policy" "function" {
  for_each = local.functions
  name     = "bbws-${each.key}-${local.env}"
  role     = aws_iam_role.function[each.key].id
  policy   = data.aws_iam_policy_document.function[each.key].json
}
