"""Catalog entries: their names and versions, how versions compare, and the catalog's errors (no I/O)."""

from __future__ import annotations

import re
from typing import Any, Literal

from bbws.core.errors import Conflict, NotFound

Kind = Literal["plugin", "theme"]
KINDS: tuple[Kind, ...] = ("plugin", "theme")
PLUGIN, THEME = KINDS

PLUGIN_ID_PATTERN = r"^plg_[0-9a-z]{26}$"
SLUG_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
SLUG = re.compile(SLUG_PATTERN)
# Versions name a folder of the artifact key, and are compared part by part: `1.2.3`, `2.0-beta1`, `4.7.1+wp`.
VERSION = re.compile(r"^[0-9A-Za-z]+(?:[.+_-][0-9A-Za-z]+)*$")
VERSION_MAX = 32
# Catalog changes are the platform's, not a tenant's: their audit records and events go under this id.
PLATFORM_AUDIT_TENANT = "platform"

def artifact_key(kind: str, slug: str, version: str, plugin_id: str) -> str:
    """`plugins/{slug}/{version}/{pluginId}.zip` (`themes/...` for themes); artifact keys are lower case."""
    folder = re.sub(r"[^a-z0-9_.-]", "-", version.lower())
    return f"{kind}s/{slug}/{folder}/{plugin_id}.zip"


# -- versions ------------------------------------------------------------------------------------------------
_NUMERIC = re.compile(r"^(\d+(?:\.\d+)*)(.*)$")
_PARTS = 4
_WIDTH = 10


def version_parts(version: str) -> tuple[tuple[int, ...], str]:
    """`6.1.9` -> ((6, 1, 9, 0), ""); `2.0-beta1` -> ((2, 0, 0, 0), "beta1"). Non-numeric starts count as 0."""
    match = _NUMERIC.match(version.strip())
    numbers, rest = (match.group(1), match.group(2)) if match else ("0", version.strip())
    parts = [int(n) for n in numbers.split(".")][:_PARTS]
    return tuple(parts + [0] * (_PARTS - len(parts))), rest.lstrip(".+_-").lower()


def version_key(version: str) -> str:
    """A string that sorts like the versions do: numbers compared as numbers, a pre-release (`-beta1`)
    before its release (`~` sorts after every letter and digit)."""
    numbers, rest = version_parts(version)
    return ".".join(str(min(n, 10**_WIDTH - 1)).zfill(_WIDTH) for n in numbers) + (f"#{rest}" if rest else "~")


def older_than(version: str, minimum: str) -> bool:
    """True when `version` is below `minimum`, comparing the numbers only (WordPress `6.1.9` vs `Requires at
    least: 6.2`); a pre-release of the minimum is accepted, as WordPress does."""
    return version_parts(version)[0] < version_parts(minimum)[0]


def blocklist_of(setting: str) -> frozenset[str]:
    """The platform-wide blocklist setting (comma-separated slugs)."""
    return frozenset(s.strip().lower() for s in setting.split(",") if s.strip())


# -- errors --------------------------------------------------------------------------------------------------
def plugin_not_found(plugin_id: str) -> NotFound:
    return NotFound(f"Plugin {plugin_id} is not in the catalog.", code="PLUG_001")


def version_not_found(kind: str, slug: str, version: str | None) -> NotFound:
    which = f"version {version}" if version else "any version"
    return NotFound(f"The catalog has no {kind} {slug!r} in {which}.", code="PLUG_001", kind=kind, slug=slug)


def duplicate(kind: str, slug: str, version: str, existing: dict[str, Any] | None) -> Conflict:
    return Conflict(
        f"The catalog already holds {kind} {slug!r} version {version}; delete it first or upload another version.",
        code="PLUG_004",
        pluginId=(existing or {}).get("pluginId"),
    )
