"""The names the `tenant-instance` Terraform module gives its resources, known before Terraform runs.

Mirrors the module's `names.tf`; `tests/integration/gitops/test_module.py` evaluates that file with
`terraform console` and compares, so the two cannot drift apart silently.
"""

from __future__ import annotations

import hashlib
import re

DEFAULT_DOMAIN = "sites.bbws.io"
# The module's `tenant_id` validation: lower case, because the id also names a database and a host.
TENANT_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{2,39}$")


def short(tenant_id: str, environment: str) -> str:
    """A stable digest for names that allow neither the full id nor `_` (target groups: 32 characters)."""
    return hashlib.sha1(f"{tenant_id}/{environment}".encode()).hexdigest()[:16]


def host_label(tenant_id: str) -> str:
    return tenant_id.replace("_", "-")


def module_names(tenant_id: str, environment: str, *, domain: str = DEFAULT_DOMAIN) -> dict[str, str]:
    """Exactly the module's `local.names` for this tenant and environment."""
    digest, env = short(tenant_id, environment), environment
    return {
        "cluster": f"bbws-cluster-{env}",
        "service": f"tenant-{tenant_id}-wordpress",
        "task_family": f"tenant-{tenant_id}-{env}-wordpress",
        "access_point": f"tenant-{tenant_id}-{env}",
        "database": f"wp_{tenant_id.replace('-', '_')}_{env}",
        "database_user": f"wp_{digest}",
        "database_secret": f"bbws/{env}/tenants/{tenant_id}/database",
        "app_secret": f"bbws/{env}/tenants/{tenant_id}/wordpress",
        "target_group": f"bbws-{env}-{digest}",
        "user_pool": f"bbws-{env}-tenant-{tenant_id}",
        "user_pool_domain": f"bbws-{env}-{digest}",
        "log_group": f"/bbws/{env}/tenants/{tenant_id}/wordpress",
        "kms_alias": f"alias/bbws-{env}-tenant-{tenant_id}",
        "host": f"{env}.{host_label(tenant_id)}.{domain}",
        "efs_root": f"/tenants/{env}/{tenant_id}",
        "execution_role": f"bbws-{env}-{digest}-execution",
        "task_role": f"bbws-{env}-{digest}-task",
        "shared_alb": f"bbws-alb-{env}",
        "shared_tasks_sg": f"bbws-wordpress-tasks-{env}",
        "shared_db": f"bbws-{env}",
        "shared_db_secret": f"bbws/{env}/rds/admin",
        "shared_repository": "bbws/wordpress",
    }


def tenant_dir(tenant_id: str, environment: str) -> str:
    """The tenant's folder in the GitOps repository (POSIX, relative to the work tree)."""
    return f"tenants/{environment}/{tenant_id}"


def state_key(tenant_id: str, environment: str) -> str:
    return f"{tenant_dir(tenant_id, environment)}/terraform.tfstate"


def state_bucket(account_id: str, region: str) -> str:
    """The platform's Terraform state bucket (one per account and region)."""
    return f"bbws-terraform-state-{account_id}-{region}"


def predicted_resources(
    tenant_id: str, environment: str, *, region: str, account_id: str, domain: str = DEFAULT_DOMAIN
) -> dict[str, str]:
    """What an instance's record shows before Terraform has run: names and ARNs, never secret values."""
    names = module_names(tenant_id, environment, domain=domain)
    return {
        "ecsServiceArn": f"arn:aws:ecs:{region}:{account_id}:service/{names['cluster']}/{names['service']}",
        "ecsServiceName": names["service"],
        "ecsCluster": names["cluster"],
        "taskDefinitionFamily": names["task_family"],
        "efsAccessPoint": names["access_point"],
        "efsRootDirectory": names["efs_root"],
        "databaseName": names["database"],
        "databaseUser": names["database_user"],
        "databaseSecretName": names["database_secret"],
        "albTargetGroupName": names["target_group"],
        "cognitoUserPoolName": names["user_pool"],
        "logGroup": names["log_group"],
        "host": names["host"],
        "terraformStateKey": state_key(tenant_id, environment),
        "repoPath": tenant_dir(tenant_id, environment),
    }
