"""Where template items live in the single table; the only place their keys are spelled.

Every template item is in the `TEMPLATE` partition: the template (`TEMPLATE#{id}`), its versions
(`TEMPLATE#{id}#V#0001`, sorted by number), its previews (`TEMPLATE#{id}#PREVIEW#0001`) and build leases
(`TEMPLATE#{id}#LEASE#...`). A slug guard item makes slugs unique; GSIs list templates without a Scan.
"""

from __future__ import annotations

PK = "TEMPLATE"
# Operations, audit records and events of template work belong to the platform, not to a customer tenant:
# they are filed under this pseudo tenant (platform staff read them; tenant webhooks never see them).
PLATFORM_TENANT = "platform"
ALL = "TEMPLATES"  # GSI2: every template, by slug


def template_sk(template_id: str) -> str:
    return f"TEMPLATE#{template_id}"


def version_sk(template_id: str, number: int) -> str:
    """Zero-padded, so the sort key order is the number order."""
    return f"TEMPLATE#{template_id}#V#{number:04d}"


def versions_prefix(template_id: str) -> str:
    return f"TEMPLATE#{template_id}#V#"


def previews_prefix(template_id: str) -> str:
    return f"TEMPLATE#{template_id}#PREVIEW#"


def preview_sk(template_id: str, number: int) -> str:
    return f"{previews_prefix(template_id)}{number:04d}"


def lease_sk(template_id: str, what: str) -> str:
    return f"TEMPLATE#{template_id}#LEASE#{what}"


def children_prefix(template_id: str) -> str:
    """Everything of one template besides the template item itself (versions, previews, leases)."""
    return f"TEMPLATE#{template_id}#"


def slug_lock(slug: str) -> tuple[str, str]:
    """Guard item that makes a slug unique (a GSI cannot refuse twins); it also finds a template by slug."""
    return f"TEMPLATESLUG#{slug}", "UNIQUE"


def templates_by_status(status: str) -> str:
    return f"TEMPLATES#{status}"


def templates_by_category(status: str, category: str) -> str:
    return f"TEMPLATES#{status}#CAT#{category}"


def template_indexes(slug: str, status: str, category: str | None) -> dict[str, str]:
    """GSI1 lists templates of one status, GSI2 all of them, GSI3 one status and category; each by slug."""
    indexes = {"GSI1PK": templates_by_status(status), "GSI1SK": slug, "GSI2PK": ALL, "GSI2SK": slug}
    if category:
        indexes.update({"GSI3PK": templates_by_category(status, category), "GSI3SK": slug})
    return indexes


def artifact_key(slug: str, number: int, template_id: str) -> str:
    return f"templates/{slug}/{number}/{template_id}.tar.gz"
