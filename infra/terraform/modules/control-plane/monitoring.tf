# Alarms to one SNS topic (API 5xx rate, p95 latency, Lambda errors and throttles, table throttles, DLQ depth)
# and a dashboard of the same metrics.

resource "aws_sns_topic" "alarms" {
  name              = "bbws-alarms-${local.env}"
  kms_master_key_id = aws_kms_key.main.arn
  tags              = local.tags
}

resource "aws_sns_topic_subscription" "email" {
  count     = var.alarm_email == null ? 0 : 1
  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = var.alarm_email
}

locals {
  alarm_actions = [aws_sns_topic.alarms.arn]
  api_dimensions = {
    ApiId = aws_apigatewayv2_api.main.id
    Stage = aws_apigatewayv2_stage.main.name
  }
  # Queues whose every message is a failure someone must look at.
  failure_queues = {
    jobs-dlq = aws_sqs_queue.jobs_dlq.name
    failures = aws_sqs_queue.failures.name
  }
}

# More than 1% of requests answered 5xx over five minutes (with at least some traffic: math on sums, not averages).
resource "aws_cloudwatch_metric_alarm" "api_5xx" {
  alarm_name          = "bbws-api-5xx-rate-${local.env}"
  alarm_description   = "More than 1% of API requests answered 5xx"
  comparison_operator = "GreaterThanThreshold"
  evaluation_periods  = 1
  threshold           = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  metric_query {
    id          = "rate"
    expression  = "IF(requests > 20, 100 * errors / requests, 0)"
    label       = "5xx %"
    return_data = true
  }
  metric_query {
    id = "errors"
    metric {
      namespace   = "AWS/ApiGateway"
      metric_name = "5xx"
      dimensions  = local.api_dimensions
      period      = 300
      stat        = "Sum"
    }
  }
  metric_query {
    id = "requests"
    metric {
      namespace   = "AWS/ApiGateway"
      metric_name = "Count"
      dimensions  = local.api_dimensions
      period      = 300
      stat        = "Sum"
    }
  }
  tags = local.tags
}

resource "aws_cloudwatch_metric_alarm" "api_latency" {
  alarm_name          = "bbws-api-p95-latency-${local.env}"
  alarm_description   = "The API's p95 latency is above ${var.latency_p95_ms} ms"
  namespace           = "AWS/ApiGateway"
  metric_name         = "Latency"
  dimensions          = local.api_dimensions
  extended_statistic  = "p95"
  period              = 300
  evaluation_periods  = 3
  threshold           = var.latency_p95_ms
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = local.tags
}

resource "aws_cloudwatch_metric_alarm" "lambda" {
  for_each            = { for pair in setproduct(keys(local.functions), ["Errors", "Throttles"]) : "${pair[0]}-${lower(pair[1])}" => pair }
  alarm_name          = "bbws-${each.key}-${local.env}"
  alarm_description   = "${each.value[1]} of the ${each.value[0]} function"
  namespace           = "AWS/Lambda"
  metric_name         = each.value[1]
  dimensions          = { FunctionName = aws_lambda_function.this[each.value[0]].function_name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = local.tags
}

resource "aws_cloudwatch_metric_alarm" "table" {
  for_each            = toset(["ReadThrottleEvents", "WriteThrottleEvents"])
  alarm_name          = "bbws-table-${lower(each.key)}-${local.env}"
  alarm_description   = "${each.key} on the table ${aws_dynamodb_table.main.name}"
  namespace           = "AWS/DynamoDB"
  metric_name         = each.key
  dimensions          = { TableName = aws_dynamodb_table.main.name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = local.tags
}

resource "aws_cloudwatch_metric_alarm" "queue" {
  for_each            = local.failure_queues
  alarm_name          = "bbws-${each.key}-depth-${local.env}"
  alarm_description   = "Messages wait in ${each.value}: failed work someone must look at"
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = each.value }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = local.tags
}

resource "aws_cloudwatch_dashboard" "main" {
  dashboard_name = "bbws-${local.env}"
  dashboard_body = jsonencode({
    widgets = [
      {
        type = "metric", x = 0, y = 0, width = 12, height = 6
        properties = {
          title   = "API requests, 4xx, 5xx", region = local.region, stat = "Sum", period = 60
          metrics = [for m in ["Count", "4xx", "5xx"] : ["AWS/ApiGateway", m, "ApiId", aws_apigatewayv2_api.main.id]]
        }
      },
      {
        type = "metric", x = 12, y = 0, width = 12, height = 6
        properties = {
          title   = "API latency p50 / p95 / p99", region = local.region, period = 60
          metrics = [for p in ["p50", "p95", "p99"] : ["AWS/ApiGateway", "Latency", "ApiId", aws_apigatewayv2_api.main.id, { stat = p }]]
        }
      },
      {
        type = "metric", x = 0, y = 6, width = 12, height = 6
        properties = {
          title = "Lambda errors and throttles", region = local.region, stat = "Sum", period = 60
          metrics = flatten([for k, f in aws_lambda_function.this : [
            ["AWS/Lambda", "Errors", "FunctionName", f.function_name],
            ["AWS/Lambda", "Throttles", "FunctionName", f.function_name],
          ]])
        }
      },
      {
        type = "metric", x = 12, y = 6, width = 12, height = 6
        properties = {
          title = "Jobs waiting, dead-lettered, failed deliveries", region = local.region, stat = "Maximum", period = 60
          metrics = [for q in [aws_sqs_queue.jobs, aws_sqs_queue.jobs_dlq, aws_sqs_queue.failures] :
          ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", q.name]]
        }
      },
      {
        type = "metric", x = 0, y = 12, width = 24, height = 6
        properties = {
          title   = "Table throttles", region = local.region, stat = "Sum", period = 60
          metrics = [for m in ["ReadThrottleEvents", "WriteThrottleEvents"] : ["AWS/DynamoDB", m, "TableName", aws_dynamodb_table.main.name]]
        }
      },
    ]
  })
}
