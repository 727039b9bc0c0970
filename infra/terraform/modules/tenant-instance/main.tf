# One tenant's WordPress instance in one environment: an ECS service on the environment's shared cluster, its
# files on an EFS access point, a database namespace on the shared RDS cluster, an ALB route and a Cognito pool.

data "aws_region" "current" {}
data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  region     = data.aws_region.current.name
  account_id = data.aws_caller_identity.current.account_id
  tags = merge(var.tags, {
    "bbws:tenant-id"   = var.tenant_id
    "bbws:environment" = var.environment
    "bbws:instance-id" = var.instance_id
    "bbws:project"     = lookup(var.tags, "bbws:project", "bbws")
    "bbws:cost-center" = lookup(var.tags, "bbws:cost-center", var.tenant_id)
    "bbws:opportunity" = lookup(var.tags, "bbws:opportunity", "unassigned")
    "bbws:managed-by"  = "terraform"
  })
  image = coalesce(
    var.image,
    "${local.account_id}.dkr.ecr.${local.region}.amazonaws.com/${local.names.shared_repository}:${var.wordpress_version}-php${var.php_version}",
  )
  kms_key_arn = try(aws_kms_key.tenant[0].arn, var.kms_key_arn)
  host_names  = [local.names.host, "*.${local.names.host}"]
  # In a GRANT, '_' is a wildcard: escaped, the pattern covers exactly the tenant's `wp_<tenant>_<env>*` databases.
  database_pattern = "${replace(local.names.database, "_", "\\_")}%"
  cognito_base     = "https://${local.names.user_pool_domain}.auth.${local.region}.amazoncognito.com"
  salt_names       = ["auth_key", "secure_auth_key", "logged_in_key", "nonce_key", "auth_salt", "secure_auth_salt", "logged_in_salt", "nonce_salt"]
}

# -- shared platform resources of the environment (made by the platform stack; looked up by name) -------------

data "aws_ecs_cluster" "shared" {
  cluster_name = local.names.cluster
}

data "aws_lb" "shared" {
  name = local.names.shared_alb
}

data "aws_lb_listener" "https" {
  load_balancer_arn = data.aws_lb.shared.arn
  port              = 443
}

data "aws_security_group" "tasks" {
  name   = local.names.shared_tasks_sg
  vpc_id = data.aws_lb.shared.vpc_id
}

data "aws_subnets" "private" {
  filter {
    name   = "vpc-id"
    values = [data.aws_lb.shared.vpc_id]
  }
  tags = {
    "bbws:tier" = "private"
  }
}

data "aws_efs_file_system" "shared" {
  tags = {
    "bbws:environment" = var.environment
    "bbws:component"   = "wordpress-files"
  }
}

data "aws_rds_cluster" "shared" {
  cluster_identifier = local.names.shared_db
}

data "aws_secretsmanager_secret" "database_admin" {
  name = local.names.shared_db_secret
}

# -- encryption ---------------------------------------------------------------------------------------------

resource "aws_kms_key" "tenant" {
  count                   = var.kms_key_arn == null ? 1 : 0
  description             = "BBWS ${var.environment} tenant ${var.tenant_id}: secrets and logs"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.kms.json
  tags                    = merge(local.tags, { "bbws:component" = "kms-key" })
}

resource "aws_kms_alias" "tenant" {
  count         = var.kms_key_arn == null ? 1 : 0
  name          = local.names.kms_alias
  target_key_id = aws_kms_key.tenant[0].key_id
}

data "aws_iam_policy_document" "kms" {
  #checkov:skip=CKV_AWS_109:A key policy's resource "*" is the key itself; the account root keeps IAM in charge of it.
  #checkov:skip=CKV_AWS_111:A key policy's resource "*" is the key itself; the account root keeps IAM in charge of it.
  #checkov:skip=CKV_AWS_356:A key policy's resource "*" is the key itself; the account root keeps IAM in charge of it.
  statement {
    sid       = "AccountAdministersTheKeyThroughIAM"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${local.account_id}:root"]
    }
  }

  statement {
    sid       = "CloudWatchLogsEncryptsTheTenantLogGroup"
    actions   = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["logs.${local.region}.amazonaws.com"]
    }
    condition {
      test     = "ArnEquals"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = ["arn:${data.aws_partition.current.partition}:logs:${local.region}:${local.account_id}:log-group:${local.names.log_group}"]
    }
  }
}

# -- secrets: the database credentials and WordPress's own keys (values never leave Secrets Manager and state) --

resource "random_password" "database" {
  length = 32
  # No quote, backslash, backtick or '$': the init container puts the password into SQL inside a shell script.
  override_special = "!#%*()-_=+[]{}<>:?"
}

resource "aws_secretsmanager_secret" "database" {
  #checkov:skip=CKV2_AWS_57:Rotation needs a rotation Lambda with network access to the shared RDS cluster, which the platform stack does not run yet; the README gives the manual rotation.
  name                    = local.names.database_secret
  description             = "Database credentials of tenant ${var.tenant_id} in ${var.environment} (user ${local.names.database_user})"
  kms_key_id              = local.kms_key_arn
  recovery_window_in_days = 30
  tags                    = merge(local.tags, { "bbws:component" = "database-secret" })
}

resource "aws_secretsmanager_secret_version" "database" {
  secret_id = aws_secretsmanager_secret.database.id
  # The layout of RDS secrets, so a standard MySQL rotation function can take it over.
  secret_string = jsonencode({
    engine   = "mysql"
    host     = data.aws_rds_cluster.shared.endpoint
    port     = data.aws_rds_cluster.shared.port
    dbname   = local.names.database
    username = local.names.database_user
    password = random_password.database.result
  })
}

resource "random_password" "salt" {
  for_each = toset(local.salt_names)
  length   = 64
  special  = false
}

resource "aws_secretsmanager_secret" "app" {
  #checkov:skip=CKV2_AWS_57:WordPress keys and the Cognito client secret change only by replacing them here (a rotation would sign every user out).
  name                    = local.names.app_secret
  description             = "WordPress keys and the Cognito client secret of tenant ${var.tenant_id} in ${var.environment}"
  kms_key_id              = local.kms_key_arn
  recovery_window_in_days = 30
  tags                    = merge(local.tags, { "bbws:component" = "wordpress-secret" })
}

resource "aws_secretsmanager_secret_version" "app" {
  secret_id = aws_secretsmanager_secret.app.id
  secret_string = jsonencode(merge(
    { for name in local.salt_names : name => random_password.salt[name].result },
    { oidc_client_secret = aws_cognito_user_pool_client.wordpress.client_secret },
  ))
}

# -- files: the tenant's directory on the environment's EFS file system --------------------------------------

resource "aws_efs_access_point" "tenant" {
  file_system_id = data.aws_efs_file_system.shared.id

  # www-data in the WordPress image: every task reads and writes as this user, whatever the image runs as.
  posix_user {
    uid = 33
    gid = 33
  }

  root_directory {
    path = local.names.efs_root
    creation_info {
      owner_uid   = 33
      owner_gid   = 33
      permissions = "0750"
    }
  }

  tags = merge(local.tags, { Name = local.names.access_point, "bbws:component" = "efs-access-point" })
}

# -- routing: the shared ALB's HTTPS listener sends the tenant's host names to its target group ---------------

resource "aws_lb_target_group" "wordpress" {
  #checkov:skip=CKV_AWS_378:TLS ends at the shared ALB's HTTPS listener; the targets sit in private subnets that only the ALB's security group reaches.
  name                 = local.names.target_group
  port                 = 80
  protocol             = "HTTP"
  target_type          = "ip"
  vpc_id               = data.aws_lb.shared.vpc_id
  deregistration_delay = 30

  health_check {
    path                = "/wp-login.php"
    matcher             = "200-399"
    interval            = 30
    timeout             = 10
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }

  tags = merge(local.tags, { "bbws:component" = "alb-target-group" })
}

resource "aws_lb_listener_rule" "host" {
  # No priority: AWS gives the next free one, so tenants never collide on a number.
  listener_arn = data.aws_lb_listener.https.arn

  action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.wordpress.arn
  }

  condition {
    host_header {
      values = local.host_names
    }
  }

  tags = merge(local.tags, { "bbws:component" = "alb-listener-rule" })
}

# -- identity: the tenant's Cognito user pool; WordPress signs users in through its OIDC app client -------------

resource "aws_cognito_user_pool" "tenant" {
  name                     = local.names.user_pool
  username_attributes      = ["email"]
  auto_verified_attributes = ["email"]
  mfa_configuration        = "OPTIONAL"
  deletion_protection      = var.environment == "prod" ? "ACTIVE" : "INACTIVE"

  software_token_mfa_configuration {
    enabled = true
  }

  password_policy {
    minimum_length                   = 12
    require_lowercase                = true
    require_uppercase                = true
    require_numbers                  = true
    require_symbols                  = true
    temporary_password_validity_days = 3
  }

  admin_create_user_config {
    allow_admin_create_user_only = true
  }

  account_recovery_setting {
    recovery_mechanism {
      name     = "verified_email"
      priority = 1
    }
  }

  tags = merge(local.tags, { "bbws:component" = "cognito-user-pool" })
}

resource "aws_cognito_user_pool_domain" "tenant" {
  domain       = local.names.user_pool_domain
  user_pool_id = aws_cognito_user_pool.tenant.id
}

resource "aws_cognito_user_pool_client" "wordpress" {
  name                                 = "wordpress"
  user_pool_id                         = aws_cognito_user_pool.tenant.id
  generate_secret                      = true
  allowed_oauth_flows_user_pool_client = true
  allowed_oauth_flows                  = ["code"]
  allowed_oauth_scopes                 = ["openid", "email", "profile"]
  supported_identity_providers         = ["COGNITO"]
  callback_urls                        = ["https://${local.names.host}/openid-connect-authorize"]
  logout_urls                          = ["https://${local.names.host}/"]
  explicit_auth_flows                  = ["ALLOW_REFRESH_TOKEN_AUTH"]
  prevent_user_existence_errors        = "ENABLED"
  enable_token_revocation              = true
}

# -- logs ---------------------------------------------------------------------------------------------------

resource "aws_cloudwatch_log_group" "wordpress" {
  name              = local.names.log_group
  retention_in_days = var.log_retention_days
  kms_key_id        = local.kms_key_arn
  # Kept on destroy: a deprovisioned instance's logs stay for their retention period.
  skip_destroy = true
  tags         = merge(local.tags, { "bbws:component" = "logs" })
}
