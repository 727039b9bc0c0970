# The job queue and its DLQ, named and shaped as `bbws.jobs.sqs_queue.create_queues` makes them, and a queue
# for what the asynchronously invoked functions and the stream relay could not handle. SQS-managed encryption:
# EventBridge and Lambda write to these queues without a grant on the key, and messages cost no KMS call.

locals {
  # `bbws.core.queue.MAX_RECEIVES`: the third failed receive moves a job to the DLQ.
  max_receives   = 3
  failures_queue = "bbws-lambda-failures-${local.env}"
}

resource "aws_sqs_queue" "jobs_dlq" {
  name                      = "bbws-jobs-dlq-${local.env}"
  message_retention_seconds = 14 * 86400
  sqs_managed_sse_enabled   = true
  tags                      = local.tags
}

resource "aws_sqs_queue" "jobs" {
  name = "bbws-jobs-${local.env}"
  # At least the consumer's timeout, or SQS hands a job to a second consumer while the first still runs it.
  visibility_timeout_seconds = 300
  sqs_managed_sse_enabled    = true
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.jobs_dlq.arn
    maxReceiveCount     = local.max_receives
  })
  tags = local.tags
}

# Only the job queue may send its failures here (moto keeps no redrive-allow policy: off in the apply test).
resource "aws_sqs_queue_redrive_allow_policy" "jobs_dlq" {
  count     = var.enable_unsupported_in_moto ? 1 : 0
  queue_url = aws_sqs_queue.jobs_dlq.id
  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.jobs.arn]
  })
}

resource "aws_sqs_queue" "failures" {
  name                      = local.failures_queue
  message_retention_seconds = 14 * 86400
  policy                    = data.aws_iam_policy_document.failures.json
  sqs_managed_sse_enabled   = true
  tags                      = local.tags
}
