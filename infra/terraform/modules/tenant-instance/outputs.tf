output "ecs_service_arn" {
  description = "ARN of the tenant's ECS service (ECS events name it in `resources`)."
  value       = aws_ecs_service.wordpress.id
}

output "ecs_service_name" {
  value = aws_ecs_service.wordpress.name
}

output "ecs_cluster_name" {
  value = data.aws_ecs_cluster.shared.cluster_name
}

output "task_definition_arn" {
  value = aws_ecs_task_definition.wordpress.arn
}

output "task_definition_family" {
  value = aws_ecs_task_definition.wordpress.family
}

output "efs_access_point_id" {
  value = aws_efs_access_point.tenant.id
}

output "efs_access_point_arn" {
  value = aws_efs_access_point.tenant.arn
}

output "database_name" {
  description = "The tenant's first database; its user may create more named `<database_name>*` (one per site)."
  value       = local.names.database
}

output "database_user" {
  value = local.names.database_user
}

output "database_secret_arn" {
  description = "Secret holding the database credentials (engine, host, port, dbname, username, password)."
  value       = aws_secretsmanager_secret.database.arn
}

output "app_secret_arn" {
  value = aws_secretsmanager_secret.app.arn
}

output "target_group_arn" {
  value = aws_lb_target_group.wordpress.arn
}

output "listener_rule_arn" {
  value = aws_lb_listener_rule.host.arn
}

output "host_names" {
  value = local.host_names
}

output "url" {
  value = "https://${local.names.host}/"
}

output "cognito_user_pool_id" {
  value = aws_cognito_user_pool.tenant.id
}

output "cognito_user_pool_arn" {
  value = aws_cognito_user_pool.tenant.arn
}

output "cognito_client_id" {
  value = aws_cognito_user_pool_client.wordpress.id
}

output "cognito_domain" {
  value = "${aws_cognito_user_pool_domain.tenant.domain}.auth.${local.region}.amazoncognito.com"
}

output "log_group_name" {
  value = aws_cloudwatch_log_group.wordpress.name
}

output "kms_key_arn" {
  value = local.kms_key_arn
}
