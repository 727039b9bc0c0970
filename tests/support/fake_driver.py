"""An in-memory RuntimeDriver for API and service tests (the real drivers have their own integration tests)."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path
from typing import Any

from bbws.core.clock import iso
from bbws.core.driver import (
    DriverError,
    DriverResult,
    InstanceSpec,
    RuntimeDriver,
    RuntimeStatus,
    SiteInfo,
    SiteSpec,
    Versions,
)


class FakeDriver(RuntimeDriver):
    """Records calls; `fail_next[action] = reason` makes the next such call fail (retryable with `retryable`)."""

    name = "local"

    def __init__(self) -> None:
        self.running: dict[tuple[str, str], int] = {}
        self.calls: list[tuple[str, str, str]] = []
        self.fail_next: dict[str, str] = {}
        self.retryable: set[str] = set()
        self.provisioned: set[tuple[str, str]] = set()

    def _call(self, action: str, spec: InstanceSpec) -> None:
        self.calls.append((action, spec.tenant_id, spec.environment))
        reason = self.fail_next.pop(action, None)
        if reason:
            raise DriverError(reason, retryable=action in self.retryable)

    def _result(self, spec: InstanceSpec) -> DriverResult:
        port = 20000 + len(self.provisioned)
        resources = {"port": spec.resources.get("port", port), "filesPath": f"instances/{spec.tenant_id}"}
        return DriverResult(resources=resources, url=f"http://127.0.0.1:{resources['port']}/")

    def versions(self) -> Versions:
        return Versions(wordpress=("6.1.9",), php=("8.2",), database="10.11.0-MariaDB")

    def missing(self) -> list[str]:
        return []

    def provision(self, spec: InstanceSpec) -> DriverResult:
        self._call("provision", spec)
        key = (spec.tenant_id, spec.environment)
        self.provisioned.add(key)
        self.running[key] = spec.desired_count
        return self._result(spec)

    def update(self, spec: InstanceSpec) -> DriverResult:
        self._call("update", spec)
        self.running[(spec.tenant_id, spec.environment)] = spec.desired_count
        return self._result(spec)

    def start(self, spec: InstanceSpec) -> DriverResult:
        self._call("start", spec)
        self.running[(spec.tenant_id, spec.environment)] = spec.desired_count
        return self._result(spec)

    def stop(self, spec: InstanceSpec) -> DriverResult:
        self._call("stop", spec)
        self.running.pop((spec.tenant_id, spec.environment), None)
        return self._result(spec)

    def scale(self, spec: InstanceSpec) -> DriverResult:
        return self.start(spec)

    def deprovision(self, spec: InstanceSpec, *, export_dir: Path | None) -> DriverResult:
        self._call("deprovision", spec)
        self.running.pop((spec.tenant_id, spec.environment), None)
        self.provisioned.discard((spec.tenant_id, spec.environment))
        return DriverResult(resources={}, details={"exports": []})

    def status(self, spec: InstanceSpec) -> RuntimeStatus:
        running = self.running.get((spec.tenant_id, spec.environment), 0)
        return RuntimeStatus(running_count=running, answering=running > 0, url=None)


class FakeSites(FakeDriver):
    """FakeDriver plus sites kept in memory: archives are JSON files, admin commands answer from the dict.
    `unhealthy` holds site keys whose health check fails (the promotion gate's broken-site case)."""

    def __init__(self) -> None:
        super().__init__()
        self.sites: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.unhealthy: set[str] = set()

    def _site(self, spec: InstanceSpec, key: str) -> dict[str, Any]:
        site = self.sites.get((spec.tenant_id, spec.environment, key))
        if site is None:
            raise DriverError(f"no site {key} in this instance", code="NOT_FOUND")
        return site

    def _url(self, spec: InstanceSpec, path: str) -> str:
        return f"http://127.0.0.1:{spec.resources.get('port', 20000)}/{path}/"

    def install_site(self, spec: InstanceSpec, site: SiteSpec) -> SiteInfo:
        self._call("install_site", spec)
        self.sites[(spec.tenant_id, spec.environment, site.key)] = {
            "path": site.path,
            "title": site.title,
            "posts": 1,
            "pages": 1,
            "theme": "twentytwentythree",
            "plugins": {"akismet": {"version": "5.0.2", "active": False}},
            "maintenance": False,
            "options": {},
            "themes": {"twentytwentythree": "1.0", "twentytwentytwo": "1.0"},
        }
        return self._info(spec, site.key)

    def _info(self, spec: InstanceSpec, key: str) -> SiteInfo:
        site = self._site(spec, key)
        return SiteInfo(
            url=self._url(spec, site["path"]),
            path=site["path"],
            database=f"wp_{key}",
            database_user=f"wp_{key}",
            files_path=f"/fake/{key}",
            admin_user="admin",
            admin_password="secret",
        )

    def site_info(self, spec: InstanceSpec, key: str) -> SiteInfo | None:
        return self._info(spec, key) if (spec.tenant_id, spec.environment, key) in self.sites else None

    def delete_site(self, spec: InstanceSpec, key: str) -> None:
        self._call("delete_site", spec)
        self.sites.pop((spec.tenant_id, spec.environment, key), None)

    def export_site(self, spec: InstanceSpec, key: str, archive: Path) -> Path:
        self._call("export_site", spec)
        archive.parent.mkdir(parents=True, exist_ok=True)
        archive.write_text(json.dumps(self._site(spec, key)))
        return archive

    def import_site(self, spec: InstanceSpec, site: SiteSpec, archive: Path) -> SiteInfo:
        self._call("import_site", spec)
        content = json.loads(archive.read_text())
        self.sites[(spec.tenant_id, spec.environment, site.key)] = {
            **content,
            "path": site.path,
            "title": site.title,
            "maintenance": False,
        }
        return self._info(spec, site.key)

    def set_site_maintenance(self, spec: InstanceSpec, key: str, enabled: bool) -> None:
        self._call("set_site_maintenance", spec)
        self._site(spec, key)["maintenance"] = enabled

    def install_package(self, spec: InstanceSpec, key: str, kind: str, archive: Path) -> dict[str, Any]:
        self._call("install_package", spec)
        site = self._site(spec, key)
        with zipfile.ZipFile(archive) as zipped:
            slug = zipped.namelist()[0].split("/")[0]
            text = "\n".join(
                zipped.read(n).decode(errors="replace") for n in zipped.namelist() if n.endswith((".php", ".css"))
            )
        found = re.search(r"Version:\s*(\S+)", text)
        version = found.group(1) if found else "0"
        if kind == "theme":
            site["themes"][slug] = version
            return {"kind": kind, "slug": slug, "name": slug, "version": version, "active": site["theme"] == slug}
        active = site["plugins"].get(slug, {}).get("active", False)
        site["plugins"][slug] = {"version": version, "active": active}
        return {"kind": kind, "slug": slug, "name": slug, "version": version, "active": active}

    def remove_package(self, spec: InstanceSpec, key: str, kind: str, slug: str) -> None:
        self._call("remove_package", spec)
        site = self._site(spec, key)
        if kind == "theme":
            if site["theme"] == slug:
                raise DriverError(f"{slug} is the site's active theme", code="THEME_ACTIVE")
            site["themes"].pop(slug, None)
        else:
            site["plugins"].pop(slug, None)

    def run_admin(self, spec: InstanceSpec, key: str, command: str, args: dict[str, Any] | None = None) -> Any:
        self._call(f"admin:{command}", spec)
        site, args = self._site(spec, key), args or {}
        if command == "plugins":
            return [{"plugin": f"{s}/{s}.php", "slug": s, "name": s, **p} for s, p in site["plugins"].items()]
        if command == "themes":
            return [
                {"theme": t, "name": t, "version": v, "active": t == site["theme"]} for t, v in site["themes"].items()
            ]
        if command in ("activate-plugin", "deactivate-plugin"):
            plugin = site["plugins"].get(str(args.get("plugin")))
            if plugin is None:
                raise DriverError(f"no plugin {args.get('plugin')} in this site", code="PLUGIN_NOT_FOUND")
            plugin["active"] = command == "activate-plugin"
            return {"slug": args["plugin"], **plugin}
        if command == "packages":
            return {"plugins": self.run_admin(spec, key, "plugins"), "themes": self.run_admin(spec, key, "themes")}
        if command == "get-options":
            return {"options": {n: site["options"].get(n) for n in args.get("names", [])}}
        if command == "posts-count":
            count = site["pages"] if args.get("type") == "page" else site["posts"]
            return {"counts": {"publish": count}, "publish": count}
        if command == "create-post":
            site["pages" if args.get("type") == "page" else "posts"] += 1
            categories = list(range(2, 2 + len(args.get("categories") or [])))
            return {"id": site["posts"] + site["pages"], "link": "", "categories": categories}
        if command == "switch-theme":
            site["theme"] = args["theme"]
            return {"theme": site["theme"]}
        if command in ("set-options", "update-option"):
            options = args.get("options") or {args.get("name"): args.get("value")}
            site["options"].update(options)
            return {"options": options}
        if command == "inventory":
            tables = [
                {
                    "name": "wp_posts",
                    "rows": site["posts"] + site["pages"],
                    "checksum": str(site["posts"] * 1000 + site["pages"]),
                },
                {"name": "wp_options", "rows": 100, "checksum": "1"},
            ]
            return {
                "wordpress": spec.wordpress_version,
                "php": spec.php_version,
                "database": "10.11",
                "theme": {"slug": site["theme"], "version": "1.0"},
                "tables": tables,
                "plugins": self.run_admin(spec, key, "plugins"),
                "files": {"uploads/a.jpg": str(site["posts"])},
            }
        return {}


def fake_health(
    *,
    driver: FakeSites,
    spec: InstanceSpec,
    key: str,
    url: str,
    declared: Any,
    clock: Any,
    timeout: float = 10.0,
    deep: bool = True,
) -> dict[str, Any]:
    """A health report from the fake's state: UNHEALTHY when the site is missing, in maintenance or marked."""
    site = driver.sites.get((spec.tenant_id, spec.environment, key))
    bad = site is None or site["maintenance"] or key in driver.unhealthy
    check = {
        "name": "frontPage",
        "status": "fail" if bad else "pass",
        "httpStatus": 503 if bad else 200,
        "latencyMs": 5.0,
        "detail": "fake",
    }
    return {
        "healthStatus": "UNHEALTHY" if bad else "HEALTHY",
        "checkedAt": iso(clock.now()),
        "checks": [check],
        "versions": {},
        "drift": [],
    }
