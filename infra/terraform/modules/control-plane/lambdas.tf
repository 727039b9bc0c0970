# One function per service and per worker (the table of `bbws.aws.packaging.FUNCTIONS`; a test keeps them equal), each with a `live` alias on a published version. Releases after the
# first (`bbws aws deploy`) publish versions and move `live` themselves, so Terraform ignores those two changes.

locals {
  worker_memory = ceil(var.memory_mb * 1.5)
  functions = {
    tenants        = { handler = "bbws.aws.tenants_http.handler", timeout = 29, memory = var.memory_mb }
    sites          = { handler = "bbws.aws.sites_http.handler", timeout = 29, memory = var.memory_mb }
    instances      = { handler = "bbws.aws.instances_http.handler", timeout = 29, memory = var.memory_mb }
    "sqs-worker"   = { handler = "bbws.aws.sqs_worker.handler", timeout = 240, memory = local.worker_memory }
    "outbox-relay" = { handler = "bbws.aws.outbox_relay.handler", timeout = 60, memory = var.memory_mb }
    scheduled      = { handler = "bbws.aws.scheduled.handler", timeout = 55, memory = local.worker_memory }
    "ecs-events"   = { handler = "bbws.aws.ecs_events.handler", timeout = 30, memory = var.memory_mb }
    dlq            = { handler = "bbws.aws.dlq.handler", timeout = 60, memory = var.memory_mb }
  }
  function_names = { for k, _ in local.functions : k => "bbws-${k}-${local.env}" }
  issuer         = "https://cognito-idp.${local.region}.amazonaws.com/${aws_cognito_user_pool.main.id}"
  settings = {
    BBWS_MODE            = "aws"
    BBWS_ENVIRONMENT     = local.env
    BBWS_STORE           = "dynamodb"
    BBWS_DYNAMODB_TABLE  = aws_dynamodb_table.main.name
    BBWS_AWS_REGION      = local.region
    BBWS_QUEUE           = "sqs"
    BBWS_SQS_QUEUE_URL   = aws_sqs_queue.jobs.url
    BBWS_SQS_DLQ_URL     = aws_sqs_queue.jobs_dlq.url
    BBWS_RUN_WORKER      = "false"
    BBWS_EVENT_BUS       = aws_cloudwatch_event_bus.main.name
    BBWS_ISSUER          = local.issuer
    BBWS_JWKS_URL        = "${local.issuer}/.well-known/jwks.json"
    BBWS_AUDIENCE        = aws_cognito_user_pool_client.api.id
    BBWS_ARTIFACT_STORE  = "s3"
    BBWS_ARTIFACT_BUCKET = aws_s3_bucket.artifacts.id
    BBWS_ARTIFACT_PREFIX = "sites/"
    BBWS_CURSOR_SECRET   = var.cursor_secret
    BBWS_AWS_ACCOUNT_ID  = local.account
  }
}

# The first artifacts go to the bucket under their sha256 (as `bbws aws deploy` puts later ones), and the
# functions take their code from there: a function made from a local file would upload it inline, one at a time.
locals {
  artifact_files = merge({ layer = var.layer_artifact }, { for k, _ in local.functions : k => lookup(var.code_artifacts, k, lookup(var.code_artifacts, "default", "")) })
}

resource "aws_s3_object" "artifact" {
  for_each    = toset(distinct(values(local.artifact_files)))
  bucket      = aws_s3_bucket.artifacts.id
  key         = "lambda/${filesha256(each.key)}.zip"
  source      = each.key
  source_hash = filesha256(each.key)
  kms_key_id  = aws_kms_key.main.arn
  tags        = local.tags
}

resource "aws_lambda_layer_version" "deps" {
  layer_name               = "bbws-deps-${local.env}"
  s3_bucket                = aws_s3_object.artifact[local.artifact_files.layer].bucket
  s3_key                   = aws_s3_object.artifact[local.artifact_files.layer].key
  source_code_hash         = filebase64sha256(var.layer_artifact)
  compatible_runtimes      = [var.lambda_runtime]
  compatible_architectures = ["arm64"]
}

resource "aws_cloudwatch_log_group" "functions" {
  for_each          = local.functions
  name              = "/aws/lambda/${local.function_names[each.key]}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.main.arn
  tags              = local.tags
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_117:The functions reach only AWS service endpoints and tenant webhooks on the internet; a VPC would add NAT cost and nothing to isolate
  #checkov:skip=CKV_AWS_272:Artifacts are built reproducibly by `bbws aws package` and promoted by their sha256, which is what code signing would vouch for
  for_each      = local.functions
  function_name = local.function_names[each.key]
  role          = aws_iam_role.function[each.key].arn
  handler       = lookup(var.handlers, each.key, each.value.handler)
  runtime       = var.lambda_runtime
  architectures = ["arm64"]
  memory_size   = each.value.memory
  timeout       = each.value.timeout
  s3_bucket     = aws_s3_object.artifact[local.artifact_files[each.key]].bucket
  s3_key        = aws_s3_object.artifact[local.artifact_files[each.key]].key
  layers        = [aws_lambda_layer_version.deps.arn]
  publish       = true
  kms_key_arn   = aws_kms_key.main.arn

  reserved_concurrent_executions = lookup(var.reserved_concurrency, each.key, 2)

  environment {
    variables = merge(local.settings, { POWERTOOLS_SERVICE_NAME = "bbws-${each.key}" })
  }
  tracing_config {
    mode = "Active"
  }
  dead_letter_config {
    target_arn = aws_sqs_queue.failures.arn
  }
  # Python SnapStart snapshots a published version after init; the entry points' before-snapshot hooks warm it.
  snap_start {
    apply_on = "PublishedVersions"
  }
  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.functions[each.key].name
  }
  lifecycle {
    ignore_changes = [s3_key, source_code_hash, layers]
  }
  tags = local.tags
}

resource "aws_lambda_alias" "live" {
  for_each         = local.functions
  name             = "live"
  description      = "The version that serves traffic (moved by `bbws aws deploy` and `rollback`)"
  function_name    = aws_lambda_function.this[each.key].function_name
  function_version = aws_lambda_function.this[each.key].version
  lifecycle {
    ignore_changes = [function_version]
  }
}

# Jobs: the consumer reports each failed record (`batchItemFailures`), so one bad job never redelivers its batch.
resource "aws_lambda_event_source_mapping" "jobs" {
  event_source_arn        = aws_sqs_queue.jobs.arn
  function_name           = aws_lambda_alias.live["sqs-worker"].arn
  batch_size              = 10
  function_response_types = ["ReportBatchItemFailures"]
}

# Jobs the redrive moved to the DLQ: their Operations are failed with the job's last error. The DLQ is not an
# event source (SQS would delete each message it hands over, and `bbws dlq list` / redrive need them): the alarm
# topic wakes the sweep as soon as the DLQ-depth alarm fires, and the scheduled function sweeps every minute.
resource "aws_sns_topic_subscription" "dlq_sweep" {
  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "lambda"
  endpoint  = aws_lambda_alias.live["dlq"].arn
}

resource "aws_lambda_permission" "dlq_sweep" {
  statement_id  = "alarms-topic"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this["dlq"].function_name
  qualifier     = aws_lambda_alias.live["dlq"].name
  principal     = "sns.amazonaws.com"
  source_arn    = aws_sns_topic.alarms.arn
}

# The outbox relay runs on the table's stream rather than a schedule: an item leaves within a second of its
# commit, and only outbox inserts wake the function.
resource "aws_lambda_event_source_mapping" "outbox" {
  event_source_arn               = aws_dynamodb_table.main.stream_arn
  function_name                  = aws_lambda_alias.live["outbox-relay"].arn
  starting_position              = "LATEST"
  batch_size                     = 100
  maximum_retry_attempts         = 10
  bisect_batch_on_function_error = true
  function_response_types        = ["ReportBatchItemFailures"]
  filter_criteria {
    filter {
      pattern = jsonencode({ eventName = ["INSERT"], dynamodb = { Keys = { pk = { S = [{ prefix = "OUTBOX#" }] } } } })
    }
  }
  destination_config {
    on_failure {
      destination_arn = aws_sqs_queue.failures.arn
    }
  }
}
