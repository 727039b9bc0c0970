"""The runtime driver port: what the instance and site services need from whatever runs WordPress.

Two adapters in `bbws.instances` implement it: `local` (a private MariaDB and `php -S` process groups on this
machine) and `gitops` (Terraform committed to a git repository; ECS events settle the state). Every method is
idempotent: a job that crashed half way calls it again and it finishes what is missing.
"""

from __future__ import annotations

import tempfile
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class DriverError(Exception):
    """The runtime refused or failed an action; `reason` is shown to the caller (never secrets)."""

    def __init__(self, reason: str, *, code: str = "RUNTIME_ERROR", retryable: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code
        self.retryable = retryable


class NotSupported(DriverError):
    def __init__(self, what: str) -> None:
        super().__init__(f"{what} is not supported by this runtime driver", code="NOT_SUPPORTED")


@dataclass(frozen=True)
class InstanceSpec:
    """Everything a driver needs to know about one instance (one tenant, one environment)."""

    tenant_id: str
    environment: str  # dev | sit | prod
    instance_id: str
    desired_count: int
    wordpress_version: str
    php_version: str
    settings: dict[str, Any] = field(default_factory=dict)  # phpMemoryLimit, uploadMaxFilesize, debug
    resources: dict[str, Any] = field(default_factory=dict)  # what an earlier provision recorded (port, paths)
    operation_id: str = ""  # names the commit / log lines of the operation doing the work


@dataclass(frozen=True)
class DriverResult:
    """What an action did. `settled` is False when the runtime finishes later (GitOps: ECS events settle it)."""

    resources: dict[str, Any]
    settled: bool = True
    url: str | None = None
    details: dict[str, Any] = field(default_factory=dict)  # commitSha, exports made by deprovision, ...


@dataclass(frozen=True)
class RuntimeStatus:
    running_count: int
    answering: bool  # the instance URL answered HTTP
    url: str | None = None


@dataclass(frozen=True)
class Versions:
    """What this host can run: the choices `wordpressVersion` / `phpVersion` accept."""

    wordpress: tuple[str, ...]
    php: tuple[str, ...]
    database: str | None = None

    @property
    def default_wordpress(self) -> str:
        return self.wordpress[-1]

    @property
    def default_php(self) -> str:
        return self.php[-1]


@dataclass(frozen=True)
class SiteSpec:
    """A single-site WordPress install inside an instance. `key` names its database and folder; `path` its URL."""

    key: str  # stable id (e.g. the siteId): database `wp_<key>`, user, folder
    path: str  # DNS label; the site answers at <instance url>/<path>/
    title: str
    admin_email: str
    admin_user: str = "admin"
    admin_password: str | None = None  # generated when None
    tagline: str = ""


@dataclass(frozen=True)
class SiteInfo:
    url: str
    path: str
    database: str
    database_user: str
    files_path: str
    admin_user: str
    admin_password: str | None = None  # only returned by install/clone; callers store it as a secret, never show it
    packages: dict[str, Any] | None = None  # {plugins, themes} as WordPress reports them, when the copy read them


class RuntimeDriver(ABC):
    """Runs instances and the sites inside them."""

    name: str = "abstract"
    # True when `status()` reads the running workers live; False when they are only known from events (ECS).
    reports_live_status: bool = True

    # -- instances ---------------------------------------------------------------------------------
    @abstractmethod
    def versions(self) -> Versions:
        """WordPress and PHP versions installed here (detected at run time)."""

    @abstractmethod
    def missing(self) -> list[str]:
        """What must be installed before this driver can work (empty when ready); shown by `bbws serve`."""

    @abstractmethod
    def provision(self, spec: InstanceSpec) -> DriverResult:
        """Create the instance and start it with `desired_count` workers; undo what it made if it fails."""

    @abstractmethod
    def update(self, spec: InstanceSpec) -> DriverResult:
        """Apply new versions / settings / size to a provisioned instance."""

    @abstractmethod
    def start(self, spec: InstanceSpec) -> DriverResult: ...

    @abstractmethod
    def stop(self, spec: InstanceSpec) -> DriverResult: ...

    @abstractmethod
    def scale(self, spec: InstanceSpec) -> DriverResult: ...

    @abstractmethod
    def deprovision(self, spec: InstanceSpec, *, export_dir: Path | None) -> DriverResult:
        """Export each site into `export_dir` (when given), then remove databases, users, files and processes."""

    @abstractmethod
    def status(self, spec: InstanceSpec) -> RuntimeStatus: ...

    def shutdown(self) -> None:
        """Stop everything this driver started in this process (server exit). Data stays."""

    # -- sites (used by the sites service) ------------------------------------------------------------
    def install_site(self, spec: InstanceSpec, site: SiteSpec) -> SiteInfo:
        raise NotSupported("install_site")

    def delete_site(self, spec: InstanceSpec, key: str) -> None:
        raise NotSupported("delete_site")

    def site_info(self, spec: InstanceSpec, key: str) -> SiteInfo | None:
        raise NotSupported("site_info")

    def export_site(self, spec: InstanceSpec, key: str, archive: Path) -> Path:
        """Write the site's database dump and wp-content into one tar.gz archive."""
        raise NotSupported("export_site")

    def import_site(self, spec: InstanceSpec, site: SiteSpec, archive: Path) -> SiteInfo:
        """Replace (or create) the site from an archive made by `export_site`, rewriting its URLs."""
        raise NotSupported("import_site")

    def copy_site(self, source: InstanceSpec, source_key: str, target: InstanceSpec, site: SiteSpec) -> SiteInfo:
        """Copy a site over `site` (in any instance): URLs rewritten, fresh credentials. By default through an
        export archive; a driver that can copy directly does so."""
        with tempfile.TemporaryDirectory(prefix="bbws-copy-") as work:
            archive = self.export_site(source, source_key, Path(work) / "copy.tar.gz")
            return self.import_site(target, site, archive)

    def search_replace(self, spec: InstanceSpec, key: str, old: str, new: str) -> int:
        """Serialized-safe replace in every text column of the site's tables; returns the values changed."""
        raise NotSupported("search_replace")

    def set_site_maintenance(self, spec: InstanceSpec, key: str, enabled: bool) -> None:
        """Make the site answer 503 with a maintenance page (suspend), or serve it again."""
        raise NotSupported("set_site_maintenance")

    def run_admin(self, spec: InstanceSpec, key: str, command: str, args: dict[str, Any] | None = None) -> Any:
        """Run a PHP admin command inside the site (plugins, themes, options, health) and return its JSON."""
        raise NotSupported("run_admin")

    def install_package(self, spec: InstanceSpec, key: str, kind: str, archive: Path) -> dict[str, Any]:
        """Unpack a plugin or theme zip (one top-level folder, its slug) into the site, replacing the folder of an
        earlier version at once; returns `{kind, slug, name, version, active}` as WordPress reads it back."""
        raise NotSupported("install_package")

    def remove_package(self, spec: InstanceSpec, key: str, kind: str, slug: str) -> None:
        """Deactivate (plugin) and remove a plugin or theme folder; `THEME_ACTIVE` for the theme in use."""
        raise NotSupported("remove_package")
