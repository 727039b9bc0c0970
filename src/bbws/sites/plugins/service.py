"""A site's plugins and themes: install from the catalog, activate, configure, update, remove, report drift.

WordPress is changed first, through the runtime driver; the site record's `declared` state follows only when that
worked, so a failure (502 WP_001) leaves the record as it was. Install from the catalog is shared with the site jobs
(create, clone), which call `install_from_catalog` themselves.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from bbws.core.changes import Actor
from bbws.core.container import Container
from bbws.core.errors import Conflict, NotFound, UnprocessableEntity
from bbws.core.files import scratch
from bbws.instances.driver import DriverError, InstanceSpec, RuntimeDriver
from bbws.instances.runtime import driver_of
from bbws.plugins.catalog import archive_of, check_installable, find_entry, get_entry
from bbws.plugins.install import install_from_catalog, set_active
from bbws.sites.models import SiteStatus, WordPressFailed
from bbws.sites.plugins.rules import (
    PLUGIN,
    THEME,
    check_options,
    declared_entry,
    declared_of,
    item_of,
    site_items,
    with_declared,
)
from bbws.sites.records import get_site, instance_spec_for, save_site, tenant_sites
from bbws.sites.service import refuse_busy

log = logging.getLogger("bbws.plugins")
__all__ = ["declared_entry", "with_declared"]
# Where the runtime keeps the site is the platform's business: a PHP error names files from wp-content/ on.
_SERVER_PATH = re.compile(r"\S*/(wp-(?:content|includes|admin)/)")
SAVE_ATTEMPTS = 3  # the health job writes the same record; a lost race is read again, not reported


# -- reads -------------------------------------------------------------------------------------------------------
def reported(driver: RuntimeDriver, spec: InstanceSpec, key: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """What WordPress reports: its plugins and its themes."""
    return list(driver.run_admin(spec, key, "plugins")), list(driver.run_admin(spec, key, "themes"))


def site_plugins(*, container: Container, site: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every declared or installed plugin and theme of the site (declared vs actual) and its drift."""
    with _wordpress():
        plugins, themes = reported(driver_of(container), instance_spec_for(container.store, site), site["key"])
    return site_items(site.get("declared"), plugins, themes)


def site_drift(*, container: Container, site: dict[str, Any]) -> list[dict[str, Any]]:
    return site_plugins(container=container, site=site)[1]


def tenant_drift(
    *, container: Container, tenant_id: str, can_read: Callable[[dict[str, Any]], bool]
) -> list[dict[str, Any]]:
    """Drift of every ACTIVE site of the tenant that `can_read` lets through; a site WordPress cannot be asked
    about (its instance is stopped) is listed with the reason instead of failing the report."""
    report = []
    for site in tenant_sites(container.store, tenant_id):
        if site["status"] != SiteStatus.ACTIVE or not can_read(site):
            continue
        row = {"siteId": site["siteId"], "environment": site["environment"], "subdomain": site["subdomain"]}
        try:
            drift = site_drift(container=container, site=site)
        except (WordPressFailed, Conflict) as exc:
            report.append({**row, "inSync": None, "drift": [], "error": exc.detail})
            continue
        report.append({**row, "inSync": not drift, "drift": drift, "error": None})
    return report


# -- changes -----------------------------------------------------------------------------------------------------
def install(*, container: Container, actor: Actor, site: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """Install a catalog version (and activate it unless told not to); 409 PLUG_004 when it is there already."""
    spec = _changeable(container, site)
    store = container.store
    if body.get("pluginId"):
        entry = get_entry(store=store, plugin_id=body["pluginId"])
    else:
        entry = find_entry(store=store, kind=body.get("kind") or PLUGIN, slug=body["slug"], version=body.get("version"))
    kind, slug, version = entry["kind"], entry["slug"], entry["pluginVersion"]
    wordpress = _wordpress_version(site, spec)
    check_installable(settings=container.settings, entry=entry, wordpress_version=wordpress)
    want = declared_of(site.get("declared"), kind, slug)
    with _wordpress():
        before = _installed(container, spec, site, kind, slug)
        if want and want.get("version") == version and before and str(before["version"]) == version:
            raise Conflict(
                f"{kind.capitalize()} {slug} {version} is installed on this site already; "
                f"PUT .../plugins/{slug}/update to change its version.",
                code="PLUG_004",
                slug=slug,
            )
        try:
            found = _from_catalog(container, spec, site, entry, bool(body.get("activate", True)), wordpress)
        except DriverError:
            if before is None:  # nothing of it stays behind (it may be unpacked but failed to activate)
                _quietly(lambda: driver_of(container).remove_package(spec, site["key"], kind, slug))
            raise
    value = {**declared_entry(entry, active=found["active"]), "config": (want or {}).get("config") or {}}
    after = _declare(container, actor, site, "site.plugin_installed", kind, slug, lambda _: value)
    return item_of(kind, slug, declared_of(after.get("declared"), kind, slug), found, in_sync=True)


def set_status(
    *, container: Container, actor: Actor, site: dict[str, Any], kind: str, slug: str, active: bool
) -> dict[str, Any]:
    """Activate or deactivate a plugin; for a theme, `active: true` switches the site to it. A package the platform
    did not install (one WordPress ships) is declared from now on, so the change is not reported as drift."""
    spec = _changeable(container, site)
    if kind == THEME and not active:
        raise UnprocessableEntity("A theme cannot be deactivated; activate another theme instead.", code="SITE_001")
    driver = driver_of(container)
    with _wordpress():
        found = _require_installed(container, spec, site, kind, slug)
        found = set_active(driver, spec, site["key"], found, active=active)
    audit = "site.plugin_activated" if active else "site.plugin_deactivated"
    after = _declare(
        container, actor, site, audit, kind, slug, lambda want: {**(want or _adopted(found)), "active": active}
    )
    return item_of(kind, slug, declared_of(after.get("declared"), kind, slug), found, in_sync=True)


def configure(
    *, container: Container, actor: Actor, site: dict[str, Any], kind: str, slug: str, options: dict[str, Any]
) -> dict[str, Any]:
    """Write WordPress options for a package and keep them as its declared configuration (null deletes one)."""
    check_options(options, kind=kind, slug=slug)
    spec = _changeable(container, site)
    driver = driver_of(container)
    with _wordpress():
        found = _require_installed(container, spec, site, kind, slug)
        driver.run_admin(spec, site["key"], "set-options", {"options": options})

    def merged(want: dict[str, Any] | None) -> dict[str, Any]:
        base = want or _adopted(found)
        config = {k: v for k, v in {**(base.get("config") or {}), **options}.items() if v is not None}
        return {**base, "config": config}

    after = _declare(container, actor, site, "site.plugin_configured", kind, slug, merged)
    return item_of(kind, slug, declared_of(after.get("declared"), kind, slug), found, in_sync=True)


def update(
    *,
    container: Container,
    actor: Actor,
    site: dict[str, Any],
    kind: str,
    slug: str,
    version: str | None,
    plugin_id: str | None,
) -> dict[str, Any]:
    """Move a package to another catalog version (the newest when none is named), keeping its active state; when
    WordPress fails, the version the site declared is put back."""
    spec = _changeable(container, site)
    if plugin_id:
        entry = get_entry(store=container.store, plugin_id=plugin_id)
        if (entry["kind"], entry["slug"]) != (kind, slug):
            raise UnprocessableEntity(
                f"Plugin {plugin_id} is {entry['kind']} {entry['slug']}, not {kind} {slug}.", code="SITE_001"
            )
    else:
        entry = find_entry(store=container.store, kind=kind, slug=slug, version=version)
    wordpress = _wordpress_version(site, spec)
    check_installable(settings=container.settings, entry=entry, wordpress_version=wordpress)
    want = declared_of(site.get("declared"), kind, slug)
    with _wordpress():
        current = _require_installed(container, spec, site, kind, slug)
        target = entry["pluginVersion"]
        if str(current["version"]) == target and (want is None or want.get("version") in (None, target)):
            raise Conflict(f"{kind.capitalize()} {slug} is at {target} already.", code="PLUG_004", slug=slug)
        active = bool(want["active"]) if want else bool(current["active"])
        try:
            found = _from_catalog(container, spec, site, entry, active, wordpress)
        except DriverError:
            previous = (want or {}).get("pluginId")
            if previous:
                _quietly(lambda: _put_back(container, spec, site, previous, active))
            raise
    value = {**declared_entry(entry, active=found["active"]), "config": (want or {}).get("config") or {}}
    after = _declare(container, actor, site, "site.plugin_updated", kind, slug, lambda _: value)
    return item_of(kind, slug, declared_of(after.get("declared"), kind, slug), found, in_sync=True)


def remove(*, container: Container, actor: Actor, site: dict[str, Any], kind: str, slug: str) -> None:
    """Deactivate and delete a package (409 THEME_ACTIVE for the site's theme); a missing one is 404 PLUG_001."""
    spec = _changeable(container, site)
    driver = driver_of(container)
    with _wordpress():
        found = _installed(container, spec, site, kind, slug)
        if found is None and declared_of(site.get("declared"), kind, slug) is None:
            raise not_installed(kind, slug)
        if found is not None and kind == THEME and found["active"]:
            raise Conflict(f"{slug} is the site's active theme; switch to another theme first.", code="THEME_ACTIVE")
        driver.remove_package(spec, site["key"], kind, slug)
    _declare(container, actor, site, "site.plugin_removed", kind, slug, lambda _: None)


# -- helpers -----------------------------------------------------------------------------------------------------
def _changeable(container: Container, site: dict[str, Any]) -> InstanceSpec:
    """Plugins change only on an ACTIVE site that no operation is working on."""
    if site["status"] != SiteStatus.ACTIVE:
        raise UnprocessableEntity(
            f"Site {site['siteId']} is {site['status']}; plugins and themes change only on an ACTIVE site.",
            code="SITE_005",
            currentStatus=site["status"],
        )
    refuse_busy(site)
    return instance_spec_for(container.store, site)


def _from_catalog(
    container: Container, spec: InstanceSpec, site: dict[str, Any], entry: dict[str, Any], active: bool, wordpress: str
) -> dict[str, Any]:
    with _scratch(container) as work:
        return install_from_catalog(
            container=container,
            spec=spec,
            site_key=site["key"],
            entry=entry,
            activate=active,
            work_dir=work,
            wordpress_version=wordpress,
        )


def _put_back(container: Container, spec: InstanceSpec, site: dict[str, Any], plugin_id: str, active: bool) -> None:
    """After a failed update, the version the site had (the catalog's later verdicts do not block a rollback)."""
    entry, driver = get_entry(store=container.store, plugin_id=plugin_id), driver_of(container)
    with _scratch(container) as work:
        archive = archive_of(container=container, entry=entry, work_dir=work)
        found = driver.install_package(spec, site["key"], entry["kind"], archive)
    set_active(driver, spec, site["key"], found, active=active)


def _adopted(found: dict[str, Any]) -> dict[str, Any]:
    """The declared entry of a package the platform did not install (no catalog id, any version)."""
    return {"pluginId": None, "name": found.get("name"), "version": None, "active": found["active"], "config": {}}


def _quietly(action: Callable[[], Any]) -> None:
    """A best-effort undo: its own failure must not hide the one being reported."""
    try:
        action()
    except Exception:
        log.exception("undoing a failed plugin change failed")


def _wordpress_version(site: dict[str, Any], spec: InstanceSpec) -> str:
    return str(site.get("wordpressVersion") or spec.wordpress_version)


def _installed(
    container: Container, spec: InstanceSpec, site: dict[str, Any], kind: str, slug: str, version: str | None = None
) -> dict[str, Any] | None:
    plugins, themes = reported(driver_of(container), spec, site["key"])
    if kind == PLUGIN:
        found = next((p for p in plugins if p["slug"] == slug), None)
    else:
        found = next(({**t, "slug": t["theme"]} for t in themes if t["theme"] == slug), None)
    if found is None or (version is not None and str(found.get("version")) != version):
        return None
    return {
        "kind": kind,
        "slug": slug,
        "name": found.get("name"),
        "version": found.get("version"),
        "active": bool(found.get("active")),
    }


def _require_installed(
    container: Container, spec: InstanceSpec, site: dict[str, Any], kind: str, slug: str
) -> dict[str, Any]:
    found = _installed(container, spec, site, kind, slug)
    if found is None:
        raise not_installed(kind, slug)
    return found


def not_installed(kind: str, slug: str) -> NotFound:
    return NotFound(f"No {kind} {slug} is installed on this site.", code="PLUG_001", kind=kind, slug=slug)


def _declare(
    container: Container,
    actor: Actor,
    site: dict[str, Any],
    audit: str,
    kind: str,
    slug: str,
    change: Callable[[dict[str, Any] | None], dict[str, Any] | None],
) -> dict[str, Any]:
    """Write the package's new declared entry (`change` of the current one), reading the site again when another
    writer got there first."""
    for attempt in range(SAVE_ATTEMPTS):
        current = site.get("declared") or {}
        value = change(declared_of(current, kind, slug))
        declared = (
            current
            if value is None and declared_of(current, kind, slug) is None
            else with_declared(current, kind=kind, slug=slug, value=value)
        )
        try:
            return save_site(
                store=container.store, clock=container.clock, actor=actor, site=site, audit=audit, declared=declared
            )
        except Conflict:
            if attempt == SAVE_ATTEMPTS - 1:
                raise
            site = get_site(store=container.store, tenant_id=site["tenantId"], site_id=site["siteId"])
    raise AssertionError("unreachable")


@contextmanager
def _wordpress() -> Iterator[None]:
    """A failure of WordPress or the runtime becomes 502 WP_001 with its reason (nothing was declared yet)."""
    try:
        yield
    except DriverError as exc:
        if exc.code == "THEME_ACTIVE":
            raise Conflict(exc.reason, code="THEME_ACTIVE") from exc
        reason = _SERVER_PATH.sub(r"\1", exc.reason)
        raise WordPressFailed(f"WordPress could not do it: {reason}", reason=reason, runtimeCode=exc.code) from exc


def _scratch(container: Container) -> AbstractContextManager[Path]:
    return scratch(Path(container.settings.data_dir) / "work")
