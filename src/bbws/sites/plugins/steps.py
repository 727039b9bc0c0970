"""The site steps that change one plugin or theme through WordPress (run by the site worker like every site job).

WordPress is changed first; the site's `declared` state follows, in the same write that lets go of the site, only
when that worked. A failure (WP_001, or a check only WordPress can answer: PLUG_001, PLUG_004, THEME_ACTIVE) ends
the Operation FAILED with its code: a fresh install is removed again, an update is put back, and the site is let go
as it was, with the reason in `lastError`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from bbws.core.driver import DriverError, InstanceSpec
from bbws.core.errors import ApiError, Conflict
from bbws.core.files import private_dir
from bbws.core.handlers import PermanentFailure
from bbws.plugins.catalog import archive_of, get_entry
from bbws.plugins.install import install_from_catalog, set_active
from bbws.plugins.models import THEME
from bbws.sites.context import SiteContext
from bbws.sites.holds import settle, site_result
from bbws.sites.models import SiteAction
from bbws.sites.plugins.rules import declared_entry, declared_of, item_of, with_declared
from bbws.sites.plugins.service import (
    installed,
    not_installed,
    require_installed,
    scrubbed,
    theme_active,
    wordpress_version,
)
from bbws.sites.records import instance_spec_for

log = logging.getLogger("bbws.plugins")
A = SiteAction
Report = Callable[[int, str], None]
Step = Callable[[SiteContext, dict[str, Any], dict[str, Any], Report], dict[str, Any]]
Change = Callable[[dict[str, Any] | None], dict[str, Any] | None]


def install(ctx: SiteContext, site: dict[str, Any], params: dict[str, Any], report: Report) -> dict[str, Any]:
    """Install a catalog version (and activate it unless told not to); PLUG_004 when it is there already."""
    spec, entry = instance_spec_for(ctx.store, site), get_entry(store=ctx.store, plugin_id=params["pluginId"])
    kind, slug, version = entry["kind"], entry["slug"], entry["pluginVersion"]
    want = declared_of(site.get("declared"), kind, slug)
    before = installed(ctx.driver, spec, site["key"], kind, slug)
    if want and want.get("version") == version and before and str(before["version"]) == version:
        raise Conflict(
            f"{kind.capitalize()} {slug} {version} is installed on this site already; "
            f"PUT .../plugins/{slug}/update to change its version.",
            code="PLUG_004",
            slug=slug,
        )
    report(20, f"Installing {kind} {slug} {version}.")
    try:
        found = _from_catalog(ctx, spec, site, entry, bool(params.get("activate", True)))
    except DriverError:
        if before is None:  # nothing of it stays behind (it may be unpacked but failed to activate)
            _quietly(lambda: ctx.driver.remove_package(spec, site["key"], kind, slug))
        raise
    value = {**declared_entry(entry, active=found["active"]), "config": (want or {}).get("config") or {}}
    done = f"{kind.capitalize()} {slug} {version} is installed."
    return _declare(ctx, site, "site.plugin_installed", kind, slug, lambda _: value, found, done)


def set_status(ctx: SiteContext, site: dict[str, Any], params: dict[str, Any], report: Report) -> dict[str, Any]:
    """Activate or deactivate a plugin, or switch the site to a theme. A package the platform did not install (one
    WordPress ships) is declared from now on, so the change is not reported as drift."""
    kind, slug, active = params["kind"], params["slug"], bool(params["active"])
    spec = instance_spec_for(ctx.store, site)
    found = require_installed(ctx.driver, spec, site["key"], kind, slug)
    found = set_active(ctx.driver, spec, site["key"], found, active=active)
    audit = "site.plugin_activated" if active else "site.plugin_deactivated"
    done = f"{kind.capitalize()} {slug} is {'active' if active else 'inactive'}."
    return _declare(
        ctx, site, audit, kind, slug, lambda want: {**(want or _adopted(found)), "active": active}, found, done
    )


def configure(ctx: SiteContext, site: dict[str, Any], params: dict[str, Any], report: Report) -> dict[str, Any]:
    """Write WordPress options for a package and keep them as its declared configuration (null deletes one)."""
    kind, slug, options = params["kind"], params["slug"], params["options"]
    spec = instance_spec_for(ctx.store, site)
    found = require_installed(ctx.driver, spec, site["key"], kind, slug)
    ctx.driver.run_admin(spec, site["key"], "set-options", {"options": options})

    def merged(want: dict[str, Any] | None) -> dict[str, Any]:
        base = want or _adopted(found)
        config = {k: v for k, v in {**(base.get("config") or {}), **options}.items() if v is not None}
        return {**base, "config": config}

    done = f"{kind.capitalize()} {slug} is configured."
    return _declare(ctx, site, "site.plugin_configured", kind, slug, merged, found, done)


def update(ctx: SiteContext, site: dict[str, Any], params: dict[str, Any], report: Report) -> dict[str, Any]:
    """Move a package to another catalog version keeping its active state; when WordPress fails, the version the
    site declared is put back."""
    spec, entry = instance_spec_for(ctx.store, site), get_entry(store=ctx.store, plugin_id=params["pluginId"])
    kind, slug, target = params["kind"], params["slug"], entry["pluginVersion"]
    want = declared_of(site.get("declared"), kind, slug)
    current = require_installed(ctx.driver, spec, site["key"], kind, slug)
    if str(current["version"]) == target and (want is None or want.get("version") in (None, target)):
        raise Conflict(f"{kind.capitalize()} {slug} is at {target} already.", code="PLUG_004", slug=slug)
    active = bool(want["active"]) if want else bool(current["active"])
    report(20, f"Updating {kind} {slug} to {target}.")
    try:
        found = _from_catalog(ctx, spec, site, entry, active)
    except DriverError:
        previous = (want or {}).get("pluginId")
        if previous:
            _quietly(lambda: _put_back(ctx, spec, site, previous, active))
        raise
    value = {**declared_entry(entry, active=found["active"]), "config": (want or {}).get("config") or {}}
    done = f"{kind.capitalize()} {slug} is at {target}."
    return _declare(ctx, site, "site.plugin_updated", kind, slug, lambda _: value, found, done)


def remove(ctx: SiteContext, site: dict[str, Any], params: dict[str, Any], report: Report) -> dict[str, Any]:
    """Deactivate and delete a package; the site's active theme is refused (THEME_ACTIVE), a missing one PLUG_001."""
    kind, slug = params["kind"], params["slug"]
    spec = instance_spec_for(ctx.store, site)
    found = installed(ctx.driver, spec, site["key"], kind, slug)
    if found is None and declared_of(site.get("declared"), kind, slug) is None:
        raise not_installed(kind, slug)
    if found is not None and kind == THEME and found["active"]:
        raise theme_active(slug)
    ctx.driver.remove_package(spec, site["key"], kind, slug)
    done = f"{kind.capitalize()} {slug} is removed."
    return _declare(ctx, site, "site.plugin_removed", kind, slug, lambda _: None, None, done)


def given_back(step: Step) -> Step:
    """`step`, letting go of the site as it was when it fails for good: the Operation then fails with the code
    (WP_001 for what WordPress or the runtime refused). A failure the runtime may get over is left to the retries."""

    def run(ctx: SiteContext, site: dict[str, Any], params: dict[str, Any], report: Report) -> dict[str, Any]:
        try:
            return step(ctx, site, params, report)
        except DriverError as exc:
            if exc.retryable:
                raise
            if exc.code == "THEME_ACTIVE":
                _let_go(ctx, site, exc.reason)
                raise theme_active(params["slug"]) from exc
            detail = f"WordPress could not do it: {scrubbed(exc.reason)}"
            _let_go(ctx, site, detail)
            raise PermanentFailure(detail, code="WP_001") from exc
        except ApiError as exc:  # a check only WordPress could answer (PLUG_001, PLUG_004, ...)
            _let_go(ctx, site, exc.detail)
            if exc.status >= 500:  # the worker retries those; this one will not get better
                raise PermanentFailure(exc.detail, code=exc.code) from exc
            raise

    return run


STEPS: dict[SiteAction, Step] = {
    A.INSTALL_PLUGIN: given_back(install),
    A.SET_PLUGIN_STATUS: given_back(set_status),
    A.CONFIGURE_PLUGIN: given_back(configure),
    A.UPDATE_PLUGIN: given_back(update),
    A.REMOVE_PLUGIN: given_back(remove),
}


# -- helpers -----------------------------------------------------------------------------------------------------
def _declare(
    ctx: SiteContext,
    site: dict[str, Any],
    audit: str,
    kind: str,
    slug: str,
    change: Change,
    found: dict[str, Any] | None,
    message: str,
) -> dict[str, Any]:
    """Let go of the site with the package's new declared entry (`change` of the current one)."""
    current = site.get("declared") or {}
    value = change(declared_of(current, kind, slug))
    unchanged = value is None and declared_of(current, kind, slug) is None
    declared = current if unchanged else with_declared(current, kind=kind, slug=slug, value=value)
    changes = ctx.changes()
    after = settle(changes, site, site["pendingOperationId"], audit=audit, declared=declared)
    changes.commit(ctx.store)
    want = declared_of(after.get("declared"), kind, slug)
    return site_result(after, message=message, plugin=item_of(kind, slug, want, found, in_sync=True))


def _let_go(ctx: SiteContext, site: dict[str, Any], reason: str) -> None:
    """The site back as it was (its status and `declared`), the reason of the failure in `lastError`."""
    changes = ctx.changes()
    settle(changes, site, site["pendingOperationId"], audit="site.released", lastError=reason)
    changes.commit(ctx.store)


def _from_catalog(
    ctx: SiteContext, spec: InstanceSpec, site: dict[str, Any], entry: dict[str, Any], active: bool
) -> dict[str, Any]:
    return install_from_catalog(
        container=ctx.container,
        spec=spec,
        site_key=site["key"],
        entry=entry,
        activate=active,
        work_dir=ctx.work_dir,
        wordpress_version=wordpress_version(site, spec),
    )


def _put_back(ctx: SiteContext, spec: InstanceSpec, site: dict[str, Any], plugin_id: str, active: bool) -> None:
    """After a failed update, the version the site had (the catalog's later verdicts do not block a rollback)."""
    entry = get_entry(store=ctx.store, plugin_id=plugin_id)
    private_dir(ctx.work_dir)
    archive = archive_of(container=ctx.container, entry=entry, work_dir=ctx.work_dir)
    found = ctx.driver.install_package(spec, site["key"], entry["kind"], archive)
    set_active(ctx.driver, spec, site["key"], found, active=active)


def _adopted(found: dict[str, Any]) -> dict[str, Any]:
    """The declared entry of a package the platform did not install (no catalog id, any version)."""
    return {"pluginId": None, "name": found.get("name"), "version": None, "active": found["active"], "config": {}}


def _quietly(action: Callable[[], Any]) -> None:
    """A best-effort undo: its own failure must not hide the one being reported."""
    try:
        action()
    except Exception:
        log.exception("undoing a failed plugin change failed")
