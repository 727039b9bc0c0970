"""Template domain: version statuses and their moves, template references, which version a reference means (no I/O)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bbws.core.errors import InvalidTransition, NotFound, UnprocessableEntity


class TemplateStatus(StrEnum):
    DRAFT = "DRAFT"
    PUBLISHED = "PUBLISHED"
    ARCHIVED = "ARCHIVED"


T = TemplateStatus
# Per version: a draft is published once it is checked; a published one is archived when it is retired and may
# be published again later. Nothing goes back to DRAFT: a draft is what an export made, not an editable state.
TRANSITIONS: dict[TemplateStatus, frozenset[TemplateStatus]] = {
    T.DRAFT: frozenset({T.PUBLISHED}),
    T.PUBLISHED: frozenset({T.ARCHIVED}),
    T.ARCHIVED: frozenset({T.PUBLISHED}),
}

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,40}$")
SLUG_PATTERN = SLUG.pattern
TEMPLATE_ID = re.compile(r"^tpl_[0-9a-z]{26}$")
TEMPLATE_ID_PATTERN = TEMPLATE_ID.pattern
CATEGORY_PATTERN = r"^[a-z0-9][a-z0-9-]{0,40}$"
MAX_VERSIONS = 9999  # version sort keys are four digits wide
_REF = re.compile(r"^(?P<name>tpl_[0-9a-z]{26}|[a-z0-9][a-z0-9-]{1,40})(?:@(?P<version>[1-9][0-9]{0,3}))?$")


def template_not_found(ref: str) -> NotFound:
    return NotFound(f"Template {ref} was not found.", code="TEMP_001")


def not_usable(detail: str, **extra: Any) -> UnprocessableEntity:
    return UnprocessableEntity(detail, code="TEMP_002", **extra)


def check_transition(number: int, current: TemplateStatus, target: TemplateStatus) -> None:
    """422 INVALID_STATUS_TRANSITION when version `number` cannot move from `current` to `target`."""
    if target not in TRANSITIONS[current]:
        raise InvalidTransition(
            resource=f"Template version {number}",
            current=current.value,
            target=target.value,
            allowed=[s.value for s in TRANSITIONS[current]],
        )


@dataclass(frozen=True)
class TemplateRef:
    """What a caller names: a template id or slug, and optionally one version (`business@2`, `tpl_x@1`)."""

    name: str
    version: int | None = None

    @property
    def is_id(self) -> bool:
        return bool(TEMPLATE_ID.match(self.name))


def parse_ref(ref: str) -> TemplateRef:
    """A reference that cannot name any template is simply not found (TEMP_001), like an unknown slug."""
    match = _REF.match(ref) if isinstance(ref, str) else None
    if match is None:
        raise template_not_found(ref if isinstance(ref, str) and len(ref) <= 80 else "(invalid reference)")
    version = match["version"]
    return TemplateRef(name=match["name"], version=int(version) if version else None)


def statuses_of(template: Mapping[str, object]) -> dict[int, TemplateStatus]:
    """The template's versions and their statuses (kept on the template item, written with each version change)."""
    raw = template.get("versionStatuses") or {}
    assert isinstance(raw, Mapping)
    return {int(number): TemplateStatus(status) for number, status in raw.items()}


def newest(statuses: Mapping[int, TemplateStatus], status: TemplateStatus) -> int | None:
    numbers = [n for n, s in statuses.items() if s is status]
    return max(numbers) if numbers else None


def current_version(statuses: Mapping[int, TemplateStatus]) -> int | None:
    """The version a site made from the template gets: the newest PUBLISHED one (None when none is)."""
    return newest(statuses, T.PUBLISHED)


def shown_version(statuses: Mapping[int, TemplateStatus]) -> int | None:
    """The version that describes the template (theme, plugins): the current one, else the newest made."""
    return current_version(statuses) or (max(statuses) if statuses else None)


def template_status(statuses: Mapping[int, TemplateStatus]) -> TemplateStatus:
    """One status per template for listing: PUBLISHED when any version is, else DRAFT when one waits to be
    published (or the first one is still being made), else ARCHIVED."""
    values = set(statuses.values())
    if T.PUBLISHED in values:
        return T.PUBLISHED
    if T.DRAFT in values or not values:
        return T.DRAFT
    return T.ARCHIVED


def visible(statuses: Mapping[int, TemplateStatus], *, platform_admin: bool) -> bool:
    """Users see templates with a published version; platform admins see every template."""
    return platform_admin or current_version(statuses) is not None


def version_visible(status: TemplateStatus, *, platform_admin: bool) -> bool:
    return platform_admin or status is T.PUBLISHED


def usable_version(
    statuses: Mapping[int, TemplateStatus], requested: int | None, *, ref: str, platform_admin: bool
) -> int:
    """The version a new site is built from. Without a number: the newest PUBLISHED one. With a number: that
    version when PUBLISHED (platform admins may also name a DRAFT to try it). 404 TEMP_001 for a version that
    does not exist or that the caller may not see (the same answer as `GET /templates/{ref}`, so a draft is
    not given away), 422 TEMP_002 for one a platform admin sees but may not use."""
    if not visible(statuses, platform_admin=platform_admin):
        raise template_not_found(ref)
    if requested is None:
        number = current_version(statuses)
        if number is None:
            raise not_usable(f"Template {ref} has no published version.", versions=_listing(statuses))
        return number
    status = statuses.get(requested)
    if status is None or not version_visible(status, platform_admin=platform_admin):
        raise template_not_found(ref)
    if status is T.PUBLISHED or (platform_admin and status is T.DRAFT):
        return requested
    raise not_usable(
        f"Version {requested} of template {ref} is {status.value}; only PUBLISHED versions are used.",
        versionStatus=status.value,
    )


def _listing(statuses: Mapping[int, TemplateStatus]) -> dict[str, str]:
    return {str(n): s.value for n, s in sorted(statuses.items())}


def next_version(latest: int) -> int:
    if latest >= MAX_VERSIONS:
        raise UnprocessableEntity(f"A template holds at most {MAX_VERSIONS} versions.", code="TOO_MANY_VERSIONS")
    return latest + 1
