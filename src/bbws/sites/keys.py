"""Where site items live in the single table; the only place their keys are spelled."""

from __future__ import annotations

from bbws.core.keys import tenant_pk
from bbws.tenants.keys import SITE_PREFIX as SITE_PREFIX  # spelled where the tenant service also reads it

SUBDOMAIN_PREFIX = "SUBDOMAIN#"
SITE_COUNT_PREFIX = "SITECOUNT#"
HEALTH_SWEEP_KEY = ("SITES#HEALTH", "SWEEP")  # when the next periodic health sweep is due (one for the platform)


def site_sk(site_id: str) -> str:
    return f"{SITE_PREFIX}{site_id}"


def subdomain_lock(environment: str, subdomain: str) -> tuple[str, str]:
    """Guard item that makes a subdomain unique per environment across the platform (a GSI cannot refuse twins)."""
    return f"{SUBDOMAIN_PREFIX}{environment}#{subdomain}", "UNIQUE"


def subdomain_of_lock(pk: str) -> tuple[str, str] | None:
    """The (environment, subdomain) a subdomain guard's key names; None for any other key."""
    if not pk.startswith(SUBDOMAIN_PREFIX):
        return None
    environment, _, subdomain = pk.removeprefix(SUBDOMAIN_PREFIX).partition("#")
    return environment, subdomain


def site_count_sk(environment: str) -> str:
    """Per tenant and environment: how many sites count against the tier's quota (guarded by version)."""
    return f"{SITE_COUNT_PREFIX}{environment}"


def sites_by_environment(tenant_id: str, environment: str) -> str:
    """GSI1 partition: a tenant's sites of one environment."""
    return f"{tenant_pk(tenant_id)}#SITES#ENV#{environment}"


def sites_by_status(tenant_id: str, status: str) -> str:
    """GSI2 partition: a tenant's sites in one status."""
    return f"{tenant_pk(tenant_id)}#SITES#STATUS#{status}"


def sites_by_environment_and_status(tenant_id: str, environment: str, status: str) -> str:
    """GSI3 partition: a tenant's sites of one environment in one status."""
    return f"{tenant_pk(tenant_id)}#SITES#{environment}#{status}"


def site_indexes(tenant_id: str, environment: str, status: str, site_id: str) -> dict[str, str]:
    """GSI1 lists a tenant's sites of one environment, GSI2 of one status, GSI3 of both (no Scan, no filter)."""
    return {
        "GSI1PK": sites_by_environment(tenant_id, environment),
        "GSI1SK": site_id,
        "GSI2PK": sites_by_status(tenant_id, status),
        "GSI2SK": site_id,
        "GSI3PK": sites_by_environment_and_status(tenant_id, environment, status),
        "GSI3SK": site_id,
    }


ALL_SITES = "SITES"  # not an index: every site is found through its tenant


def backup_sk(site_id: str, backup_id: str) -> str:
    return f"BACKUP#{site_id}#{backup_id}"


def backups_prefix(site_id: str) -> str:
    return f"BACKUP#{site_id}#"


def promotion_sk(site_id: str, promotion_id: str) -> str:
    """Promotions are kept under the lineage's source site (the one promoted)."""
    return f"PROMOTION#{site_id}#{promotion_id}"


def promotions_prefix(site_id: str) -> str:
    return f"PROMOTION#{site_id}#"


def health_sk(site_id: str, checked_at: str) -> str:
    return f"HEALTH#{site_id}#{checked_at}"


def health_prefix(site_id: str) -> str:
    return f"HEALTH#{site_id}#"
