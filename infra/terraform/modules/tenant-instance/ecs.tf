# The tenant's WordPress tasks: two roles, the task definition (db-init then WordPress) and the ECS service.

data "aws_iam_policy_document" "ecs_tasks_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
    # Only tasks of this account may assume the roles (confused deputy).
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

# The execution role is ECS's own: it pulls the image, writes logs and reads the secrets it injects.
resource "aws_iam_role" "execution" {
  name               = local.names.execution_role
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
  tags               = merge(local.tags, { "bbws:component" = "iam" })
}

resource "aws_iam_role_policy_attachment" "execution" {
  role       = aws_iam_role.execution.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

data "aws_iam_policy_document" "execution" {
  statement {
    sid     = "ReadTheSecretsTheTaskIsGiven"
    actions = ["secretsmanager:GetSecretValue"]
    resources = [
      aws_secretsmanager_secret.database.arn,
      aws_secretsmanager_secret.app.arn,
      data.aws_secretsmanager_secret.database_admin.arn,
    ]
  }
  statement {
    sid       = "DecryptTheTenantSecrets"
    actions   = ["kms:Decrypt"]
    resources = [local.kms_key_arn]
  }
}

resource "aws_iam_role_policy" "execution" {
  name   = "secrets"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution.json
}

# The task role is what WordPress itself may do: mount and write its own EFS access point, nothing else.
resource "aws_iam_role" "task" {
  name               = local.names.task_role
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
  tags               = merge(local.tags, { "bbws:component" = "iam" })
}

data "aws_iam_policy_document" "task" {
  statement {
    sid       = "MountOnlyTheTenantAccessPoint"
    actions   = ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"]
    resources = [data.aws_efs_file_system.shared.arn]
    condition {
      test     = "StringEquals"
      variable = "elasticfilesystem:AccessPointArn"
      values   = [aws_efs_access_point.tenant.arn]
    }
  }
}

resource "aws_iam_role_policy" "task" {
  name   = "efs"
  role   = aws_iam_role.task.id
  policy = data.aws_iam_policy_document.task.json
}

locals {
  log_options = {
    "awslogs-group"  = aws_cloudwatch_log_group.wordpress.name
    "awslogs-region" = local.region
  }

  # Runs before WordPress in every task and exits: creates the tenant's database and user when missing and
  # (re)sets the user's password from the secret. The admin password reaches only this container, never WordPress.
  db_init_script = <<-EOT
    set -eu
    mysql --host="$DB_HOST" --port="$DB_PORT" --user="$ADMIN_USER" --ssl-mode=REQUIRED <<SQL
    CREATE DATABASE IF NOT EXISTS \`$DB_NAME\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
    CREATE USER IF NOT EXISTS '$DB_USER'@'%' IDENTIFIED BY '$DB_PASSWORD' REQUIRE SSL;
    ALTER USER '$DB_USER'@'%' IDENTIFIED BY '$DB_PASSWORD' REQUIRE SSL;
    GRANT ALL PRIVILEGES ON \`$DB_PATTERN\`.* TO '$DB_USER'@'%';
    SQL
  EOT

  db_init = {
    name      = "db-init"
    image     = var.db_init_image
    essential = false
    command   = ["sh", "-c", local.db_init_script]
    environment = [
      { name = "DB_HOST", value = data.aws_rds_cluster.shared.endpoint },
      { name = "DB_PORT", value = tostring(data.aws_rds_cluster.shared.port) },
      { name = "DB_NAME", value = local.names.database },
      { name = "DB_PATTERN", value = local.database_pattern },
      { name = "DB_USER", value = local.names.database_user },
    ]
    secrets = [
      { name = "ADMIN_USER", valueFrom = "${data.aws_secretsmanager_secret.database_admin.arn}:username::" },
      # The mysql client reads MYSQL_PWD itself: the admin password never appears on a command line.
      { name = "MYSQL_PWD", valueFrom = "${data.aws_secretsmanager_secret.database_admin.arn}:password::" },
      { name = "DB_PASSWORD", valueFrom = "${aws_secretsmanager_secret.database.arn}:password::" },
    ]
    logConfiguration = {
      logDriver = "awslogs"
      options   = merge(local.log_options, { "awslogs-stream-prefix" = "db-init" })
    }
  }

  wordpress = {
    name      = "wordpress"
    image     = local.image
    essential = true
    dependsOn = [{ containerName = "db-init", condition = "SUCCESS" }]
    portMappings = [
      { containerPort = 80, protocol = "tcp" },
    ]
    environment = [
      { name = "WORDPRESS_DB_HOST", value = "${data.aws_rds_cluster.shared.endpoint}:${data.aws_rds_cluster.shared.port}" },
      { name = "WORDPRESS_DB_NAME", value = local.names.database },
      { name = "WORDPRESS_DB_USER", value = local.names.database_user },
      { name = "WORDPRESS_DEBUG", value = var.settings.debug ? "1" : "" },
      { name = "PHP_MEMORY_LIMIT", value = var.settings.php_memory_limit },
      { name = "PHP_UPLOAD_MAX_FILESIZE", value = var.settings.upload_max_filesize },
      { name = "BBWS_TENANT_ID", value = var.tenant_id },
      { name = "BBWS_ENVIRONMENT", value = var.environment },
      { name = "BBWS_HOST", value = local.names.host },
      { name = "OIDC_CLIENT_ID", value = aws_cognito_user_pool_client.wordpress.id },
      { name = "OIDC_ENDPOINT_LOGIN_URL", value = "${local.cognito_base}/oauth2/authorize" },
      { name = "OIDC_ENDPOINT_TOKEN_URL", value = "${local.cognito_base}/oauth2/token" },
      { name = "OIDC_ENDPOINT_USERINFO_URL", value = "${local.cognito_base}/oauth2/userInfo" },
      { name = "OIDC_ENDPOINT_LOGOUT_URL", value = "${local.cognito_base}/logout" },
    ]
    secrets = concat(
      [{ name = "WORDPRESS_DB_PASSWORD", valueFrom = "${aws_secretsmanager_secret.database.arn}:password::" }],
      [for name in local.salt_names : { name = "WORDPRESS_${upper(name)}", valueFrom = "${aws_secretsmanager_secret.app.arn}:${name}::" }],
      [{ name = "OIDC_CLIENT_SECRET", valueFrom = "${aws_secretsmanager_secret.app.arn}:oidc_client_secret::" }],
    )
    mountPoints = [
      { sourceVolume = "wp-content", containerPath = "/var/www/html/wp-content", readOnly = false },
    ]
    # Apache and PHP write pid files, sessions and uploads in progress outside wp-content, and Fargate has no tmpfs.
    readonlyRootFilesystem = false
    healthCheck = {
      command     = ["CMD-SHELL", "curl -fsS -o /dev/null http://localhost/wp-login.php || exit 1"]
      interval    = 30
      timeout     = 5
      retries     = 3
      startPeriod = 60
    }
    logConfiguration = {
      logDriver = "awslogs"
      options   = merge(local.log_options, { "awslogs-stream-prefix" = "wordpress" })
    }
  }
}

resource "aws_ecs_task_definition" "wordpress" {
  family                   = local.names.task_family
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = 512
  memory                   = 1024
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn
  container_definitions    = jsonencode([local.db_init, local.wordpress])

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  volume {
    name = "wp-content"
    efs_volume_configuration {
      file_system_id     = data.aws_efs_file_system.shared.id
      transit_encryption = "ENABLED"
      authorization_config {
        access_point_id = aws_efs_access_point.tenant.id
        iam             = "ENABLED"
      }
    }
  }

  tags = merge(local.tags, { "bbws:component" = "ecs-task-definition" })
}

resource "aws_ecs_service" "wordpress" {
  name                              = local.names.service
  cluster                           = data.aws_ecs_cluster.shared.arn
  task_definition                   = aws_ecs_task_definition.wordpress.arn
  desired_count                     = var.desired_count
  launch_type                       = "FARGATE"
  platform_version                  = "LATEST"
  health_check_grace_period_seconds = 120
  enable_ecs_managed_tags           = true
  propagate_tags                    = "SERVICE"
  enable_execute_command            = false
  # ECS events report the outcome to the control plane (SERVICE_STEADY_STATE, deployment state changes).
  wait_for_steady_state = false

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = data.aws_subnets.private.ids
    security_groups  = [data.aws_security_group.tasks.id]
    assign_public_ip = false
  }

  load_balancer {
    target_group_arn = aws_lb_target_group.wordpress.arn
    container_name   = "wordpress"
    container_port   = 80
  }

  tags = merge(local.tags, { "bbws:component" = "ecs-service" })

  # A target group must be behind a listener before a service can register tasks in it.
  depends_on = [aws_lb_listener_rule.host]
}
