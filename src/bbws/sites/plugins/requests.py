"""Asking for a plugin or theme change of a site: what can be checked without WordPress is checked now (4xx, nothing
changed); then the site is held and the change queued as one Operation, like every other site change."""

from __future__ import annotations

from typing import Any

from bbws.core.changes import Actor
from bbws.core.container import Container
from bbws.core.driver import InstanceSpec
from bbws.core.errors import UnprocessableEntity
from bbws.plugins.catalog import check_installable, find_entry, get_entry
from bbws.plugins.models import PLUGIN, THEME
from bbws.sites.models import SiteAction, SiteStatus, check_action
from bbws.sites.plugins.rules import check_options
from bbws.sites.plugins.service import theme_active, wordpress_version
from bbws.sites.records import instance_spec_for
from bbws.sites.service import refuse_busy, request_action

A = SiteAction


def request_install(
    *, container: Container, actor: Actor, site: dict[str, Any], body: dict[str, Any]
) -> dict[str, Any]:
    """By `pluginId`, or `slug` (+ `kind`, `version`: the newest catalog version when none is named); the entry
    must be installable on the site's WordPress (PLUG_00x, PLUGIN_INCOMPATIBLE) before anything is queued."""
    spec = _changeable(container, site, A.INSTALL_PLUGIN)
    if body.get("pluginId"):
        entry = get_entry(store=container.store, plugin_id=body["pluginId"])
    else:
        kind = body.get("kind") or PLUGIN
        entry = find_entry(store=container.store, kind=kind, slug=body["slug"], version=body.get("version"))
    check_installable(settings=container.settings, entry=entry, wordpress_version=wordpress_version(site, spec))
    params = {"activate": bool(body.get("activate", True)), "pluginId": entry["pluginId"]}
    return _queue(container, actor, site, A.INSTALL_PLUGIN, entry["kind"], entry["slug"], params)


def request_status(
    *, container: Container, actor: Actor, site: dict[str, Any], kind: str, slug: str, active: bool
) -> dict[str, Any]:
    """A theme is only switched to: it cannot be deactivated (422 at once)."""
    _changeable(container, site, A.SET_PLUGIN_STATUS)
    if kind == THEME and not active:
        raise UnprocessableEntity("A theme cannot be deactivated; activate another theme instead.", code="SITE_001")
    return _queue(container, actor, site, A.SET_PLUGIN_STATUS, kind, slug, {"active": active})


def request_config(
    *, container: Container, actor: Actor, site: dict[str, Any], kind: str, slug: str, options: dict[str, Any]
) -> dict[str, Any]:
    """WordPress's own options are refused (422 SITE_001) before the site is held."""
    _changeable(container, site, A.CONFIGURE_PLUGIN)
    check_options(options, kind=kind, slug=slug)
    return _queue(container, actor, site, A.CONFIGURE_PLUGIN, kind, slug, {"options": options})


def request_update(
    *,
    container: Container,
    actor: Actor,
    site: dict[str, Any],
    kind: str,
    slug: str,
    version: str | None,
    plugin_id: str | None,
) -> dict[str, Any]:
    """To `version` or `pluginId` (the same package), or the newest catalog version; checked like an install."""
    spec = _changeable(container, site, A.UPDATE_PLUGIN)
    if plugin_id:
        entry = get_entry(store=container.store, plugin_id=plugin_id)
        if (entry["kind"], entry["slug"]) != (kind, slug):
            raise UnprocessableEntity(
                f"Plugin {plugin_id} is {entry['kind']} {entry['slug']}, not {kind} {slug}.", code="SITE_001"
            )
    else:
        entry = find_entry(store=container.store, kind=kind, slug=slug, version=version)
    check_installable(settings=container.settings, entry=entry, wordpress_version=wordpress_version(site, spec))
    return _queue(container, actor, site, A.UPDATE_PLUGIN, kind, slug, {"pluginId": entry["pluginId"]})


def request_remove(*, container: Container, actor: Actor, site: dict[str, Any], kind: str, slug: str) -> dict[str, Any]:
    """The theme the site declares as its own is refused at once (409 THEME_ACTIVE); WordPress has the last word."""
    _changeable(container, site, A.REMOVE_PLUGIN)
    if kind == THEME and (site.get("declared") or {}).get("theme") == slug:
        raise theme_active(slug)
    return _queue(container, actor, site, A.REMOVE_PLUGIN, kind, slug, {})


def _changeable(container: Container, site: dict[str, Any], action: SiteAction) -> InstanceSpec:
    """Plugins change only on an ACTIVE site that no operation holds, in an instance that exists."""
    refuse_busy(site)
    check_action(action, SiteStatus(site["status"]))
    return instance_spec_for(container.store, site)


def _queue(
    container: Container,
    actor: Actor,
    site: dict[str, Any],
    action: SiteAction,
    kind: str,
    slug: str,
    params: dict[str, Any],
) -> dict[str, Any]:
    return request_action(
        store=container.store,
        clock=container.clock,
        actor=actor,
        site=site,
        action=action,
        params={"kind": kind, "slug": slug, **params},
    )
