# The artifacts bucket: Lambda artifacts by sha256 (`lambda/`) and the sites' backups and archives (`sites/`).

resource "aws_s3_bucket" "artifacts" {
  #checkov:skip=CKV_AWS_18:Access is already logged by CloudTrail data events of the account; a log bucket per environment would add a second copy
  #checkov:skip=CKV_AWS_144:Objects are versioned and rebuilt or re-promoted by sha256; backups that need a second region are copied by the DR runbook
  #checkov:skip=CKV2_AWS_62:Nothing consumes object events; artifacts are found by the manifest and backups by their records in the table
  bucket        = "bbws-artifacts-${local.env}-${local.account}"
  force_destroy = !var.deletion_protection
  tags          = local.tags
}

resource "aws_s3_bucket_versioning" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.main.arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_public_access_block" "artifacts" {
  bucket                  = aws_s3_bucket.artifacts.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id
  rule {
    id     = "old-versions"
    status = "Enabled"
    filter {
      prefix = ""
    }
    noncurrent_version_expiration {
      noncurrent_days = 90
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }
}
