"""How catalog entries are shown: public fields plus `_links` (admins also get the actions they may take)."""

from __future__ import annotations

from typing import Any

from bbws.core.links import act, href, links
from bbws.core.pagination import with_query

_SHOWN = (
    "pluginId",
    "kind",
    "slug",
    "name",
    "pluginVersion",
    "checksum",
    "size",
    "files",
    "unpackedBytes",
    "minWordPressVersion",
    "requiresPhp",
    "blocklisted",
    "vulnerable",
    "vulnerabilities",
    "uploadedAt",
    "uploadedBy",
    "updatedAt",
    "version",
)


def plugin_href(item: dict[str, Any]) -> str:
    return href("plugins", item["pluginId"])


def plugin_public(item: dict[str, Any], *, admin: bool = False) -> dict[str, Any]:
    own = plugin_href(item)
    return {
        **{k: item.get(k) for k in _SHOWN},
        "_links": links(
            self=own,
            collection=href("plugins"),
            versions=with_query(href("plugins"), {"kind": item["kind"], "slug": item["slug"]}),
            update=act(own, "PUT") if admin else None,
            delete=act(own, "DELETE") if admin else None,
        ),
    }
