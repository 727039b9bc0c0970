# Who may call the API: a Cognito user pool whose groups are the platform roles (`bbws.core.auth.PLATFORM_GROUPS`).

locals {
  platform_groups = {
    "platform-admin"    = "Platform administrators (role ADMIN)"
    "platform-operator" = "Platform operators (role OPERATOR)"
    "platform-viewer"   = "Read-only platform staff (role VIEWER)"
  }
}

resource "aws_cognito_user_pool" "main" {
  name                     = "bbws-${local.env}"
  deletion_protection      = var.deletion_protection ? "ACTIVE" : "INACTIVE"
  mfa_configuration        = "OPTIONAL"
  username_attributes      = ["email"]
  auto_verified_attributes = ["email"]

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
  tags = local.tags
}

resource "aws_cognito_user_group" "platform" {
  for_each     = local.platform_groups
  name         = each.key
  description  = each.value
  user_pool_id = aws_cognito_user_pool.main.id
}

# The API's app client: tokens for the CLI and the console (no secret: both are public clients).
resource "aws_cognito_user_pool_client" "api" {
  name                          = "bbws-api-${local.env}"
  user_pool_id                  = aws_cognito_user_pool.main.id
  generate_secret               = false
  explicit_auth_flows           = ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
  prevent_user_existence_errors = "ENABLED"
  enable_token_revocation       = true
  access_token_validity         = 60
  id_token_validity             = 60
  refresh_token_validity        = 30
  token_validity_units {
    access_token  = "minutes"
    id_token      = "minutes"
    refresh_token = "days"
  }
}
