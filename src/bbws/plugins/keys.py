"""Where plugin and theme catalog entries live in the single table (the `PLUGIN` partition, a guard per version,
and two indexes); the only place their keys are spelled."""

from __future__ import annotations

from bbws.plugins.models import version_key

CATALOG_PK = "PLUGIN"
ENTRY_PREFIX = "PLUGIN#"
SLUG_INDEX = "GSI1"  # one slug's versions (both kinds, or one with the `{kind}#` prefix)
KIND_INDEX = "GSI2"  # one kind's entries, by slug then version


def entry_key(plugin_id: str) -> tuple[str, str]:
    return CATALOG_PK, f"{ENTRY_PREFIX}{plugin_id}"


def version_lock(kind: str, slug: str, version: str) -> tuple[str, str]:
    """Guard item making (kind, slug, version) unique (an index cannot refuse a twin)."""
    return f"PLUGINVERSION#{kind}#{slug}#{version}", "UNIQUE"


def kind_prefix(kind: str) -> str:
    """GSI1 sort keys of one kind within a slug's partition."""
    return f"{kind}#"


def slug_partition(slug: str) -> str:
    return f"PLUGINSLUG#{slug}"


def kind_partition(kind: str) -> str:
    return f"PLUGINKIND#{kind}"


def entry_indexes(kind: str, slug: str, version: str) -> dict[str, str]:
    key = version_key(version)
    return {
        "GSI1PK": slug_partition(slug),
        "GSI1SK": f"{kind_prefix(kind)}{key}",
        "GSI2PK": kind_partition(kind),
        "GSI2SK": f"{slug}#{key}",
    }
