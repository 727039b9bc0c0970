"""A site's plugins and themes as WordPress reports them (declared vs actual, drift), and what the requests and
the steps that change them share: which package is installed, and how a failure of WordPress is told."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from bbws.core.container import Container
from bbws.core.driver import DriverError, InstanceSpec, RuntimeDriver
from bbws.core.errors import Conflict, NotFound
from bbws.plugins.models import PLUGIN
from bbws.sites.models import SiteStatus, WordPressFailed
from bbws.sites.plugins.rules import site_items
from bbws.sites.records import instance_spec_for, tenant_sites

# Where the runtime keeps the site is the platform's business: a PHP error names files from wp-content/ on.
_SERVER_PATH = re.compile(r"\S*/(wp-(?:content|includes|admin)/)")


# -- reads -------------------------------------------------------------------------------------------------------
def reported(driver: RuntimeDriver, spec: InstanceSpec, key: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """What WordPress reports: its plugins and its themes."""
    return list(driver.run_admin(spec, key, "plugins")), list(driver.run_admin(spec, key, "themes"))


def site_plugins(*, container: Container, site: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every declared or installed plugin and theme of the site (declared vs actual) and its drift."""
    with _wordpress():
        plugins, themes = reported(container.runtime.get(), instance_spec_for(container.store, site), site["key"])
    return site_items(site.get("declared"), plugins, themes)


def site_plugin(*, container: Container, site: dict[str, Any], kind: str, slug: str) -> dict[str, Any]:
    """One plugin or theme of the site, declared or installed (PLUG_001 when neither)."""
    items, _ = site_plugins(container=container, site=site)
    found = next((i for i in items if i["kind"] == kind and i["slug"] == slug), None)
    if found is None:
        raise not_installed(kind, slug)
    return found


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


# -- helpers of the reads and of the plugin requests and steps ----------------------------------------------
def wordpress_version(site: dict[str, Any], spec: InstanceSpec) -> str:
    return str(site.get("wordpressVersion") or spec.wordpress_version)


def installed(driver: RuntimeDriver, spec: InstanceSpec, key: str, kind: str, slug: str) -> dict[str, Any] | None:
    """The package as WordPress reports it (`{kind, slug, name, version, active}`), None when it is not there."""
    plugins, themes = reported(driver, spec, key)
    if kind == PLUGIN:
        found = next((p for p in plugins if p["slug"] == slug), None)
    else:
        found = next(({**t, "slug": t["theme"]} for t in themes if t["theme"] == slug), None)
    if found is None:
        return None
    return {
        "kind": kind,
        "slug": slug,
        "name": found.get("name"),
        "version": found.get("version"),
        "active": bool(found.get("active")),
    }


def require_installed(driver: RuntimeDriver, spec: InstanceSpec, key: str, kind: str, slug: str) -> dict[str, Any]:
    found = installed(driver, spec, key, kind, slug)
    if found is None:
        raise not_installed(kind, slug)
    return found


def not_installed(kind: str, slug: str) -> NotFound:
    return NotFound(f"No {kind} {slug} is installed on this site.", code="PLUG_001", kind=kind, slug=slug)


def theme_active(slug: str) -> Conflict:
    return Conflict(f"{slug} is the site's active theme; switch to another theme first.", code="THEME_ACTIVE")


def scrubbed(reason: str) -> str:
    """A runtime's reason without the server's own paths (a PHP error names files from wp-content/ on)."""
    return _SERVER_PATH.sub(r"\1", reason)


@contextmanager
def _wordpress() -> Iterator[None]:
    """A failure of WordPress or the runtime becomes 502 WP_001 with its reason."""
    try:
        yield
    except DriverError as exc:
        reason = scrubbed(exc.reason)
        raise WordPressFailed(f"WordPress could not do it: {reason}", reason=reason, runtimeCode=exc.code) from exc
