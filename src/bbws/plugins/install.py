"""Putting a catalog package onto a site of the runtime: checked, fetched (checksum verified), unpacked and
(de)activated. What the site jobs (create, clone) and the per-site plugin actions share; no record is written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bbws.core.container import Container
from bbws.core.driver import DriverError, InstanceSpec, RuntimeDriver
from bbws.core.files import private_dir
from bbws.plugins.catalog import archive_of, check_installable
from bbws.plugins.models import PLUGIN


def install_from_catalog(
    *,
    container: Container,
    spec: InstanceSpec,
    site_key: str,
    entry: dict[str, Any],
    activate: bool,
    work_dir: Path,
    wordpress_version: str | None = None,
) -> dict[str, Any]:
    """Check, fetch (checksum verified), unpack and (de)activate one catalog entry in a site; what WordPress then
    reports (`{kind, slug, name, version, active}`). No record is written. DriverError when WordPress fails."""
    check_installable(
        settings=container.settings, entry=entry, wordpress_version=wordpress_version or spec.wordpress_version
    )
    driver = container.runtime.get()
    private_dir(work_dir)
    archive = archive_of(container=container, entry=entry, work_dir=work_dir)
    try:
        found = driver.install_package(spec, site_key, entry["kind"], archive)
    finally:
        archive.unlink(missing_ok=True)
    if found["slug"] != entry["slug"] or str(found["version"]) != entry["pluginVersion"]:
        raise DriverError(
            f"WordPress reports {found['slug']} {found['version']}, not the catalog's {entry['slug']} "
            f"{entry['pluginVersion']}",
            code="INVALID_PACKAGE",
        )
    return set_active(driver, spec, site_key, found, active=activate)


def set_active(
    driver: RuntimeDriver, spec: InstanceSpec, key: str, found: dict[str, Any], *, active: bool
) -> dict[str, Any]:
    """Make a plugin active or inactive, or switch to a theme; a theme is left active when asked for inactive."""
    if bool(found["active"]) == active:
        return found
    slug = found["slug"]
    if found["kind"] == PLUGIN:
        command = "activate-plugin" if active else "deactivate-plugin"
        now = driver.run_admin(spec, key, command, {"plugin": slug}) or {}
        return {**found, "active": bool(now.get("active", active))}
    if active:
        driver.run_admin(spec, key, "switch-theme", {"theme": slug})
        return {**found, "active": True}
    return found
