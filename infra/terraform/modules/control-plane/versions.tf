terraform {
  # 1.10: S3 state locking without a DynamoDB lock table (`use_lockfile`), which the env backends use.
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.80, < 7.0"
      # `aws.dr`: the disaster-recovery region, where the prod table's replica keeps its own KMS key.
      configuration_aliases = [aws.dr]
    }
  }
}
