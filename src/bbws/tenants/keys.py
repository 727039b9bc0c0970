"""Where tenant-context items live in the single table (DESIGN.md "Data layout"); the only place keys are spelled."""

from __future__ import annotations


def tenant_pk(tenant_id: str) -> str:
    return f"TENANT#{tenant_id}"


TENANT_SK = "METADATA"
ALL_TENANTS = "TENANTS"  # GSI1: every tenant, in creation order


def tenant_indexes(tenant_id: str, status: str, tier: str) -> dict[str, str]:
    return {
        "GSI1PK": ALL_TENANTS,
        "GSI1SK": tenant_id,
        "GSI2PK": f"TENANTS#STATUS#{status}",
        "GSI2SK": tenant_id,
        "GSI3PK": f"TENANTS#TIER#{tier}",
        "GSI3SK": tenant_id,
    }


def org_name_lock(name: str) -> tuple[str, str]:
    """Uniqueness guard for organization names (case- and space-insensitive)."""
    return f"ORGNAME#{' '.join(name.lower().split())}", "UNIQUE"


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


AUDIT_PREFIX = "AUDIT#"
