# The HTTP API (API Gateway v2): its routes are the operations of openapi/bbws-api.yaml, each sent to the Lambda
# of the service owning its path. HTTP APIs validate Cognito JWTs natively, cost less and add less latency than
# REST APIs; the per-token and per-tenant limits are the app's own, the gateway only caps the stage.

locals {
  spec    = yamldecode(file(var.openapi_spec))
  methods = ["get", "post", "put", "patch", "delete"]
  # Sites own their sites, drift, the template and plugin catalogs; instances their instances; tenants the rest.
  sites_path     = "^/v1\\.0/(tenants/\\{tenantId\\}/(sites|drift)|templates|plugins|admin/templates)(/|$)"
  instances_path = "^/v1\\.0/tenants/\\{tenantId\\}/instances(/|$)"
  routes = merge([
    for path, item in local.spec.paths : {
      for method, operation in item : "${upper(method)} ${path}" => {
        service = (can(regex(local.sites_path, path)) ? "sites" : can(regex(local.instances_path, path)) ? "instances" : "tenants")
        # An operation with `security: []` (an invitation read by its token) is public.
        public = length(try(operation.security, local.spec.security)) == 0
      } if contains(local.methods, method)
    }
  ]...)
  http_services = toset(["tenants", "sites", "instances"])
}

resource "aws_apigatewayv2_api" "main" {
  name          = "bbws-api-${local.env}"
  protocol_type = "HTTP"
  description   = "BBWS control plane API (${local.env})"
  tags          = local.tags
}

resource "aws_apigatewayv2_authorizer" "cognito" {
  api_id           = aws_apigatewayv2_api.main.id
  name             = "cognito"
  authorizer_type  = "JWT"
  identity_sources = ["$request.header.Authorization"]
  jwt_configuration {
    issuer   = local.issuer
    audience = [aws_cognito_user_pool_client.api.id]
  }
}

resource "aws_apigatewayv2_integration" "service" {
  for_each               = local.http_services
  api_id                 = aws_apigatewayv2_api.main.id
  integration_type       = "AWS_PROXY"
  integration_uri        = aws_lambda_alias.live[each.key].invoke_arn
  payload_format_version = "2.0"
  timeout_milliseconds   = 29000
}

resource "aws_apigatewayv2_route" "spec" {
  #checkov:skip=CKV_AWS_309:Only operations the spec marks `security: []` (an invitation read by its own token) are public; every other route has the JWT authorizer
  for_each           = local.routes
  api_id             = aws_apigatewayv2_api.main.id
  route_key          = each.key
  target             = "integrations/${aws_apigatewayv2_integration.service[each.value.service].id}"
  authorization_type = each.value.public ? "NONE" : "JWT"
  authorizer_id      = each.value.public ? null : aws_apigatewayv2_authorizer.cognito.id
}

resource "aws_cloudwatch_log_group" "api" {
  name              = "/aws/apigateway/bbws-api-${local.env}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.main.arn
  tags              = local.tags
}

resource "aws_apigatewayv2_stage" "main" {
  api_id      = aws_apigatewayv2_api.main.id
  name        = "$default"
  auto_deploy = true
  default_route_settings {
    throttling_rate_limit    = var.throttle.rate_limit
    throttling_burst_limit   = var.throttle.burst_limit
    detailed_metrics_enabled = true
  }
  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.api.arn
    format = jsonencode({
      requestId = "$context.requestId", ip = "$context.identity.sourceIp", routeKey = "$context.routeKey",
      status    = "$context.status", latency = "$context.integrationLatency", error = "$context.integrationErrorMessage"
    })
  }
  tags = local.tags
}

resource "aws_lambda_permission" "api" {
  for_each      = local.http_services
  statement_id  = "api-gateway"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this[each.key].function_name
  qualifier     = aws_lambda_alias.live[each.key].name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.main.execution_arn}/*/*"
}
