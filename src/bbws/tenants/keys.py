"""Where tenant-context items live in the single table; the only place their keys are spelled."""

from __future__ import annotations

from bbws.core.keys import AUDIT_PREFIX as AUDIT_PREFIX  # the tenant partition is the kernel's (every context's)
from bbws.core.keys import tenant_pk as tenant_pk

TENANT_SK = "METADATA"
ALL_TENANTS = "TENANTS"  # GSI1: every tenant, in creation order


def tenants_by_status(status: str) -> str:
    """GSI2 partition: the tenants in one status."""
    return f"TENANTS#STATUS#{status}"


def tenants_by_tier(tier: str) -> str:
    """GSI3 partition: the tenants of one tier."""
    return f"TENANTS#TIER#{tier}"


def tenant_indexes(tenant_id: str, status: str, tier: str) -> dict[str, str]:
    return {
        "GSI1PK": ALL_TENANTS,
        "GSI1SK": tenant_id,
        "GSI2PK": tenants_by_status(status),
        "GSI2SK": tenant_id,
        "GSI3PK": tenants_by_tier(tier),
        "GSI3SK": tenant_id,
    }


ORG_NAME_PREFIX = "ORGNAME#"


def org_name_lock(name: str) -> tuple[str, str]:
    """Uniqueness guard for organization names (case- and space-insensitive)."""
    return f"{ORG_NAME_PREFIX}{' '.join(name.lower().split())}", "UNIQUE"


def node_sk(path: str) -> str:
    """`div_x/grp_y/team_z` -> `NODE#div_x#grp_y#team_z`."""
    return "NODE#" + path.replace("/", "#")


def children_index(tenant_id: str, parent_path: str) -> str:
    return f"TENANT#{tenant_id}#CHILDREN#{parent_path or 'ROOT'}"


def node_id_index(node_id: str) -> str:
    return f"NODEID#{node_id}"


def assignment_sk(user_id: str, node_path: str) -> str:
    return f"USER#{user_id}#{node_path}"


def assignments_prefix(user_id: str) -> str:
    return f"USER#{user_id}#"


def member_sk(user_id: str) -> str:
    return f"MEMBER#{user_id}"


def member_indexes(user_id: str, tenant_id: str) -> dict[str, str]:
    """GSI1 lists a user's tenants (`GET /users/{userId}/tenants`)."""
    return {"GSI1PK": f"USER#{user_id}", "GSI1SK": f"TENANT#{tenant_id}"}


def user_profile_key(user_id: str) -> tuple[str, str]:
    return f"USER#{user_id}", "PROFILE"


def email_index(email: str) -> str:
    return f"EMAIL#{email.lower()}"


def invitation_sk(invitation_id: str) -> str:
    return f"INVITATION#{invitation_id}"


def invitation_token_index(token_hash: str) -> str:
    return f"INVTOKEN#{token_hash}"




def node_indexes(tenant_id: str, parent_path: str, node_id: str) -> dict[str, str]:
    """GSI1 lists a parent's children in creation order; GSI2 finds a node (and its path) by id alone."""
    return {
        "GSI1PK": children_index(tenant_id, parent_path),
        "GSI1SK": node_id,
        "GSI2PK": node_id_index(node_id),
        "GSI2SK": tenant_id,
    }


NODE_NAME_PREFIX = "NODENAME#"


def node_name_lock(tenant_id: str, parent_path: str, name: str) -> tuple[str, str]:
    """Uniqueness guard for a node's name among its siblings (case- and space-insensitive)."""
    return tenant_pk(tenant_id), f"{NODE_NAME_PREFIX}{parent_path or 'ROOT'}#{' '.join(name.lower().split())}"


def node_assignees_index(tenant_id: str, node_path: str, user_id: str) -> dict[str, str]:
    """GSI1 on assignment items: who holds a role on one node (`GET .../users?nodeId=`)."""
    return {"GSI1PK": f"TENANT#{tenant_id}#ASSIGNEES#{node_path or 'ROOT'}", "GSI1SK": user_id}


def assignees_index(tenant_id: str, node_path: str) -> str:
    return node_assignees_index(tenant_id, node_path, "")["GSI1PK"]


MEMBER_PREFIX = "MEMBER#"
INVITATION_PREFIX = "INVITATION#"


def admins_key(tenant_id: str) -> tuple[str, str]:
    """The tenant's tenant-level ADMINs, kept in one small item so the last one cannot be removed."""
    return tenant_pk(tenant_id), "ADMINS"


def user_profile_indexes(user_id: str, email: str) -> dict[str, str]:
    return {"GSI1PK": email_index(email), "GSI1SK": user_id}


def invitation_indexes(token_hash: str, invitation_id: str) -> dict[str, str]:
    return {"GSI1PK": invitation_token_index(token_hash), "GSI1SK": invitation_id}


def user_tenants_index(user_id: str) -> str:
    """GSI1 partition of a user's member items (see `member_indexes`)."""
    return member_indexes(user_id, "")["GSI1PK"]


# A site's record is in its tenant's partition too: the tenant service reads where a site sits in the tree (who
# may follow its operations) without the sites context, whose `keys` module names the same prefix from here.
SITE_PREFIX = "SITE#"
INSTANCE_PREFIX = "INSTANCE#"
ALL_INSTANCES = "INSTANCES"  # GSI1: every instance of the platform (what `bbws serve` reconciles on start)


def instance_sk(environment: str) -> str:
    """One instance per tenant and environment: the key itself enforces it."""
    return f"{INSTANCE_PREFIX}{environment}"


def instance_indexes(tenant_id: str, environment: str) -> dict[str, str]:
    return {"GSI1PK": ALL_INSTANCES, "GSI1SK": f"{tenant_id}#{environment}"}
