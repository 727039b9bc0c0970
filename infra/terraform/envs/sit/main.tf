# The BBWS control plane of SIT. State lives in S3: `terraform init -backend-config=backend.hcl` with the
# bucket and key of the deployment account (see docs/aws/terraform.md).
terraform {
  required_version = ">= 1.10"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.80, < 7.0"
    }
  }
  backend "s3" {
    use_lockfile = true
  }
}

provider "aws" {
  region = "af-south-1"
}

# Disaster recovery region (the prod table's replica).
provider "aws" {
  alias  = "dr"
  region = "eu-west-1"
}

module "control_plane" {
  source = "../../modules/control-plane"
  providers = {
    aws    = aws
    aws.dr = aws.dr
  }

  environment    = "sit"
  openapi_spec   = "${path.root}/../../../../openapi/bbws-api.yaml"
  layer_artifact = "${var.artifacts_dir}/bbws-layer.zip"
  code_artifacts = { default = "${var.artifacts_dir}/bbws-code.zip" }
  cursor_secret  = var.cursor_secret
  alarm_email    = var.alarm_email

  # LLD 2.5: the stage caps all callers together; per-token and per-tenant limits are the app's own.
  throttle                   = { rate_limit = 100, burst_limit = 200 }
  deletion_protection        = false
  dr_replica                 = false
  reserved_concurrency       = { tenants = 20, sites = 20, instances = 10, "sqs-worker" = 10, "outbox-relay" = 3, scheduled = 1, "ecs-events" = 3, dlq = 1 }
  enable_unsupported_in_moto = var.enable_unsupported_in_moto
}
