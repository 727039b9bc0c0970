# The BBWS control plane of one environment: API Gateway -> one Lambda per service, the single DynamoDB table,
# the job queue, the event bus, Cognito, the artifacts bucket, and the alarms that watch them.

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  env     = var.environment
  account = data.aws_caller_identity.current.account_id
  region  = data.aws_region.current.name
  tags = merge(var.tags, {
    "bbws:project"     = "bbws"
    "bbws:environment" = var.environment
    "bbws:managed-by"  = "terraform"
    "bbws:component"   = "control-plane"
  })
}

# One customer-managed key for the environment: the table, queues, topic, bucket, logs and function settings.
resource "aws_kms_key" "main" {
  description             = "BBWS control plane ${local.env}"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  multi_region            = var.dr_replica
  policy                  = data.aws_iam_policy_document.kms.json
  tags                    = local.tags
}

resource "aws_kms_alias" "main" {
  name          = "alias/bbws-${local.env}"
  target_key_id = aws_kms_key.main.key_id
}

# The DR replica of the table is encrypted with a replica of the same key in that region.
resource "aws_kms_replica_key" "dr" {
  count                   = var.dr_replica ? 1 : 0
  provider                = aws.dr
  description             = "BBWS control plane ${local.env} (DR replica)"
  primary_key_arn         = aws_kms_key.main.arn
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.kms.json
  tags                    = local.tags
}

data "aws_iam_policy_document" "kms" {
  #checkov:skip=CKV_AWS_109:A key policy's resource is the key itself; the account root statement is what keeps the key manageable at all
  #checkov:skip=CKV_AWS_111:A key policy's resource is the key itself; the services may only use it on the account's own encrypted data
  #checkov:skip=CKV_AWS_356:In a key policy "*" means this key and nothing else, which is as narrow as a key policy can be
  # The account administers the key (IAM policies then grant each function what it uses).
  statement {
    sid       = "Account"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${local.account}:root"]
    }
  }
  # Services that write encrypted data on the account's behalf: logs, alarms into the topic, events into queues.
  statement {
    sid       = "Services"
    actions   = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]
    resources = ["*"]
    principals {
      type = "Service"
      identifiers = [
        "logs.${local.region}.amazonaws.com",
        "cloudwatch.amazonaws.com",
        "events.amazonaws.com",
        "sns.amazonaws.com",
      ]
    }
  }
}
