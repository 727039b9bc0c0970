# The single table (`bbws.store.dynamodb_store.table_definition`): pk/sk, GSI1..GSI3 projecting everything.

locals {
  table_name = "bbws-${local.env}"
  indexes    = ["GSI1", "GSI2", "GSI3"]
}

data "aws_region" "dr" {
  provider = aws.dr
}

resource "aws_dynamodb_table" "main" {
  name                        = local.table_name
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "pk"
  range_key                   = "sk"
  deletion_protection_enabled = var.deletion_protection
  # The outbox relay reads the stream; a global table replica needs both images too.
  stream_enabled   = true
  stream_view_type = "NEW_AND_OLD_IMAGES"

  attribute {
    name = "pk"
    type = "S"
  }
  attribute {
    name = "sk"
    type = "S"
  }
  dynamic "attribute" {
    for_each = toset(flatten([for i in local.indexes : ["${i}PK", "${i}SK"]]))
    content {
      name = attribute.value
      type = "S"
    }
  }
  dynamic "global_secondary_index" {
    for_each = toset(local.indexes)
    content {
      name            = global_secondary_index.value
      hash_key        = "${global_secondary_index.value}PK"
      range_key       = "${global_secondary_index.value}SK"
      projection_type = "ALL"
    }
  }

  ttl {
    attribute_name = "ttl"
    enabled        = true
  }
  point_in_time_recovery {
    enabled = true
  }
  server_side_encryption {
    enabled     = true
    kms_key_arn = aws_kms_key.main.arn
  }
  dynamic "replica" {
    for_each = aws_kms_replica_key.dr
    content {
      region_name            = data.aws_region.dr.name
      kms_key_arn            = replica.value.arn
      point_in_time_recovery = true
      propagate_tags         = true
    }
  }
  tags = local.tags
}
