output "table_name" {
  value = aws_dynamodb_table.main.name
}

output "jobs_queue_url" {
  value = aws_sqs_queue.jobs.url
}

output "jobs_dlq_url" {
  value = aws_sqs_queue.jobs_dlq.url
}

output "failures_queue_url" {
  value = aws_sqs_queue.failures.url
}

output "event_bus_name" {
  value = aws_cloudwatch_event_bus.main.name
}

output "artifacts_bucket" {
  value = aws_s3_bucket.artifacts.id
}

output "function_names" {
  description = "Function name by function key (the `live` alias of each serves traffic)."
  value       = { for k, f in aws_lambda_function.this : k => f.function_name }
}

output "api_endpoint" {
  value = aws_apigatewayv2_api.main.api_endpoint
}

output "api_id" {
  value = aws_apigatewayv2_api.main.id
}

output "routes" {
  description = "The service each route of the spec goes to (`METHOD /path` -> tenants, sites or instances)."
  value       = { for key, route in local.routes : key => route.service }
}

output "user_pool_id" {
  value = aws_cognito_user_pool.main.id
}

output "user_pool_client_id" {
  value = aws_cognito_user_pool_client.api.id
}

output "alarm_topic_arn" {
  value = aws_sns_topic.alarms.arn
}
