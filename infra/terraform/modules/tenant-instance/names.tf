# Every name this module gives a resource, from the tenant id and environment alone. The control plane predicts
# the same names before Terraform runs (bbws.instances.gitops.names); a test evaluates this file to keep the two equal.
locals {
  # Target groups allow 32 characters and no '_': a stable digest stands in for the tenant id there.
  short      = substr(sha1("${var.tenant_id}/${var.environment}"), 0, 16)
  host_label = replace(var.tenant_id, "_", "-")

  names = {
    cluster           = "bbws-cluster-${var.environment}"
    service           = "tenant-${var.tenant_id}-wordpress"
    task_family       = "tenant-${var.tenant_id}-${var.environment}-wordpress"
    access_point      = "tenant-${var.tenant_id}-${var.environment}"
    database          = "wp_${replace(var.tenant_id, "-", "_")}_${var.environment}"
    database_user     = "wp_${local.short}"
    database_secret   = "bbws/${var.environment}/tenants/${var.tenant_id}/database"
    app_secret        = "bbws/${var.environment}/tenants/${var.tenant_id}/wordpress"
    target_group      = "bbws-${var.environment}-${local.short}"
    user_pool         = "bbws-${var.environment}-tenant-${var.tenant_id}"
    user_pool_domain  = "bbws-${var.environment}-${local.short}"
    log_group         = "/bbws/${var.environment}/tenants/${var.tenant_id}/wordpress"
    kms_alias         = "alias/bbws-${var.environment}-tenant-${var.tenant_id}"
    host              = "${var.environment}.${local.host_label}.${var.domain}"
    efs_root          = "/tenants/${var.environment}/${var.tenant_id}"
    execution_role    = "bbws-${var.environment}-${local.short}-execution"
    task_role         = "bbws-${var.environment}-${local.short}-task"
    shared_alb        = "bbws-alb-${var.environment}"
    shared_tasks_sg   = "bbws-wordpress-tasks-${var.environment}"
    shared_db         = "bbws-${var.environment}"
    shared_db_secret  = "bbws/${var.environment}/rds/admin"
    shared_repository = "bbws/wordpress"
  }
}
