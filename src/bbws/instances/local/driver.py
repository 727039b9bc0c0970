"""`LocalDriver`: instances as `php -S` process groups on loopback ports, sites in folders, one private MariaDB."""

from __future__ import annotations

import contextlib
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
from bbws.core.files import write_private
from bbws.instances.local import naming, packages, ports, processes
from bbws.instances.local.layout import MAINTENANCE_FLAG, InstanceFiles
from bbws.instances.local.locks import Locks, SharedLock
from bbws.instances.local.mariadb import MariaDB
from bbws.instances.local.sites import Place, Sites
from bbws.instances.local.supervisor import PhpRestarts, Supervisor
from bbws.instances.local.swap import database_of, databases_of
from bbws.instances.local.versions import Toolbox
from bbws.instances.local.wordpress import PHP_DIR, CoreTemplates

if TYPE_CHECKING:
    from bbws.core.settings import Settings

START_TIMEOUT = 20.0  # seconds for a fresh `php -S` to answer its first request


class LocalDriver(RuntimeDriver):
    """Real WordPress on this machine. Files live under `root`; instance ports come from `port_range`."""

    name = "local"

    def __init__(
        self,
        root: Path,
        *,
        port_range: range,
        mariadb_port: int | None = None,
        wordpress_source: Path = Path("/usr/share/wordpress"),
        domain: str | None = None,
        search_path: str | None = None,  # where binaries are looked up (PATH when None)
    ) -> None:
        self.root = Path(root)
        self.port_range = port_range
        self.domain = domain
        self.tools = Toolbox(search_path=search_path, wordpress_source=wordpress_source, core_dir=self.root / "core")
        self.db = MariaDB(root=self.root, tools=self.tools, port=mariadb_port)
        self.cores = CoreTemplates(core_dir=self.root / "core", source=wordpress_source)
        self.sites = Sites(db=self.db, cores=self.cores)
        self._locks = Locks()
        self._serving: set[Path] = set()  # instances this object started or adopted: stopped by shutdown()
        restarts = PhpRestarts(serving=self._serving, running_pid=self._running_pid, lock_of=self._instance_lock,
                               serve=self._serve)
        self.supervisor = Supervisor([self.db.watch, restarts.check])

    @classmethod
    def from_settings(cls, settings: Settings) -> LocalDriver:
        return cls(
            settings.data_dir / "runtime",
            port_range=settings.port_range,
            mariadb_port=settings.mariadb_port,
            wordpress_source=settings.wordpress_source,
            domain=settings.instance_domain,
        )

    # -- what this machine offers ----------------------------------------------------------------------------
    def versions(self) -> Versions:
        return self.tools.versions()

    def missing(self) -> list[str]:
        return self.tools.missing()

    def _require_ready(self) -> None:
        missing = self.missing()
        if missing:
            raise DriverError(self.tools.missing_text(missing), code="RUNTIME_MISSING")

    # -- helpers -----------------------------------------------------------------------------------------------
    def files(self, spec: InstanceSpec) -> InstanceFiles:
        return InstanceFiles(self.root / "instances" / naming.instance_dirname(spec.tenant_id, spec.environment))

    def _instance_lock(self, name: str) -> SharedLock:
        return self._locks.instance(name)

    @contextlib.contextmanager
    def _locked(self, spec: InstanceSpec) -> Iterator[InstanceFiles]:
        """The instance to itself: no other instance action, and no site action, runs on it meanwhile."""
        files = self.files(spec)
        with self._instance_lock(files.root.name).alone():
            yield files

    @contextlib.contextmanager
    def _shared(self, spec: InstanceSpec, key: str | None = None) -> Iterator[InstanceFiles]:
        """The instance kept as it is (no start, stop, update or removal) while a site action runs, and the site
        `key` (when given) to this action alone; actions on other sites run side by side."""
        files = self.files(spec)
        with self._instance_lock(files.root.name).shared():
            if key is None:
                yield files
                return
            with self._locks.site(files.root.name, naming.site_key(key)):
                yield files

    def _db_up(self) -> None:
        """MariaDB running, and the supervisor watching it (and the PHP groups) from now on."""
        self.db.ensure_running()
        self.supervisor.start()

    def _state(self, files: InstanceFiles) -> dict[str, Any]:
        state = files.read_state()
        if not isinstance(state.get("port"), int) or not files.www.is_dir():
            raise DriverError(f"instance {files.root.name} is not provisioned on this runtime", code="NOT_FOUND")
        return state

    @staticmethod
    def _spec_state(spec: InstanceSpec) -> dict[str, Any]:
        return {
            "instanceId": spec.instance_id,
            "tenantId": spec.tenant_id,
            "environment": spec.environment,
            "desiredCount": spec.desired_count,
            "phpVersion": spec.php_version,
            "wordpressVersion": spec.wordpress_version,
            "settings": dict(spec.settings),
        }

    def _result(self, files: InstanceFiles, state: dict[str, Any], **details: Any) -> DriverResult:
        port = state["port"]
        resources = {"port": port, "filesPath": str(files.root), "databasePrefix": naming.DATABASE_PREFIX}
        if self.db.port:
            resources["databaseServer"] = f"127.0.0.1:{self.db.port}"
        return DriverResult(resources=resources, url=f"http://127.0.0.1:{port}/", details=details)

    def _claim_port(self, spec: InstanceSpec, files: InstanceFiles) -> dict[str, Any]:
        """The instance's port: the one it recorded, the one in `spec.resources`, or a free one of the range."""
        return ports.claim(self.root, files, self.port_range, wanted=spec.resources.get("port"),
                           fresh=self._spec_state(spec))

    def _running_pid(self, files: InstanceFiles, port: int) -> int | None:
        pid = files.read_pid()
        return pid if pid and processes.php_matches(pid, port) else None

    def _serve(self, spec: InstanceSpec, files: InstanceFiles, state: dict[str, Any]) -> None:
        """Make the instance's PHP group run as `spec` says: no-op when it already does and answers."""
        port = state["port"]
        server = processes.PhpServer(
            binary=self.tools.php(spec.php_version),
            port=port,
            docroot=files.www,
            router=PHP_DIR / "router.php",
            workers=spec.desired_count,
            flags=naming.php_settings(spec.settings),
            env={"BBWS_SITES": str(files.sites_file), "BBWS_INSTANCE": files.root.name},
        )
        launch = {"argv": server.argv(), "workers": server.workers}
        pid = self._running_pid(files, port)
        if pid and state.get("launch") == launch and processes.http_status(port, "/", timeout=5) == 200:
            self._serving.add(files.root)
            return
        self._stop(files, port)  # waits until the port is free when it stopped our own group
        if not processes.port_is_free(port):
            raise DriverError(
                f"port {port} of instance {files.root.name} is in use by another program",
                code="PORT_IN_USE",
                retryable=True,
            )
        pid = processes.spawn(server.argv(), env=server.environment(), log=files.logs / "php.log", cwd=files.root)
        files.write_pid(pid)
        self._serving.add(files.root)
        files.write_state({**state, "launch": launch})
        if not self._wait_answering(pid, port, server.workers):
            self._stop(files, port)
            raise DriverError(f"PHP did not start serving on port {port}: {processes.tail(files.logs / 'php.log')}")

    @staticmethod
    def _wait_answering(pid: int, port: int, workers: int) -> bool:
        """True once the group answers and has forked all its workers (the count the caller will read)."""
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline and processes.alive(pid):
            if processes.running_workers(pid) >= workers and processes.http_status(port, "/", timeout=2) == 200:
                return True
            time.sleep(0.03)
        return False

    def _stop(self, files: InstanceFiles, port: int | None = None) -> None:
        port = port if port is not None else files.read_state().get("port")
        pid = files.read_pid()
        if pid and isinstance(port, int) and processes.php_matches(pid, port):
            processes.stop_group(pid)
            processes.wait_port_free(port, timeout=5)
        if files.run.is_dir():
            files.write_pid(None)
        self._serving.discard(files.root)

    def _place(self, spec: InstanceSpec, files: InstanceFiles) -> Place:
        state = self._state(files)
        php = self.tools.php(str(state.get("phpVersion") or spec.php_version))
        return Place(
            files=files,
            port=state["port"],
            php=php,
            wordpress_version=str(state.get("wordpressVersion") or spec.wordpress_version),
        )

    # -- instances ---------------------------------------------------------------------------------------------
    def provision(self, spec: InstanceSpec) -> DriverResult:
        self._require_ready()
        self.tools.php(spec.php_version)
        naming.php_settings(spec.settings)
        if spec.wordpress_version not in self.tools.wordpress_versions():
            raise DriverError(
                f"WordPress {spec.wordpress_version} is not installed here; available: "
                f"{', '.join(self.tools.wordpress_versions())}",
                code="UNSUPPORTED_VERSION",
            )
        self._db_up()  # before the instance's lock: waiting for MariaDB must not hold it
        with self._locked(spec) as files:
            made = not files.root.exists()
            try:
                state = self._claim_port(spec, files)
                files.create()
                state = {**state, **self._spec_state(spec)}
                files.write_state(state)
                self.cores.ensure(spec.wordpress_version)
                self._serve(spec, files, state)
            except Exception as exc:
                if made:  # a retry over an existing instance leaves it as it was (_serve undoes its own start)
                    self._stop(files)
                    shutil.rmtree(files.root, ignore_errors=True)
                if isinstance(exc, DriverError):
                    raise
                raise DriverError(f"provisioning failed: {exc}") from exc
            return self._result(files, files.read_state())

    def start(self, spec: InstanceSpec) -> DriverResult:
        self._db_up()
        with self._locked(spec) as files:
            state = {**self._state(files), **self._spec_state(spec)}
            files.create()
            self._serve(spec, files, state)
            return self._result(files, state)

    def stop(self, spec: InstanceSpec) -> DriverResult:
        with self._locked(spec) as files:
            state = files.read_state()
            self._stop(files)
            if not isinstance(state.get("port"), int):
                return DriverResult(resources={})
            return self._result(files, state)

    def scale(self, spec: InstanceSpec) -> DriverResult:
        return self.start(spec)

    def update(self, spec: InstanceSpec) -> DriverResult:
        with self._locked(spec) as files:
            state = self._state(files)
            self.tools.php(spec.php_version)
            naming.php_settings(spec.settings)
            if spec.wordpress_version != state.get("wordpressVersion"):
                core = self.cores.ensure(spec.wordpress_version)  # refuses an unknown version before any change
                self._stop(files)
                self._db_up()
                place = Place(
                    files=files,
                    port=state["port"],
                    php=self.tools.php(spec.php_version),
                    wordpress_version=spec.wordpress_version,
                )
                self.sites.upgrade_all(place, core)
            state = {**state, **self._spec_state(spec)}
            files.write_state(state)
            self._db_up()
            self._serve(spec, files, state)
            return self._result(files, state)

    def deprovision(self, spec: InstanceSpec, *, export_dir: Path | None) -> DriverResult:
        with self._locked(spec) as files:
            if not files.root.exists():
                return DriverResult(resources={}, details={"exports": []})
            sites = files.read_sites()
            exports: list[str] = []
            if sites:
                self._db_up()
            if export_dir is not None and sites:
                place = self._place(spec, files)
                for key, entry in sites.items():
                    archive = export_dir / f"{key}.tar.gz"
                    # A retry after a crash: the archive is there already, or the database went first.
                    if (
                        entry.get("status") == "ready"
                        and not archive.exists()
                        and self.db.database_exists(database_of(key, entry))
                    ):
                        self.sites.export(place, key, archive)
                    if archive.exists():
                        exports.append(str(archive))
            self._stop(files)
            for key, entry in sites.items():
                for database in databases_of(key, entry):
                    self.db.drop_database(database)
                self.db.drop_site_database(naming.database_name(key))
            shutil.rmtree(files.root, ignore_errors=True)
            return DriverResult(resources={}, details={"exports": exports})

    def status(self, spec: InstanceSpec) -> RuntimeStatus:
        files = self.files(spec)
        port = files.read_state().get("port")
        if not isinstance(port, int):
            return RuntimeStatus(running_count=0, answering=False)
        pid = self._running_pid(files, port)
        running = processes.running_workers(pid) if pid else 0
        answering = bool(pid) and processes.http_status(port, "/", timeout=3) == 200
        return RuntimeStatus(running_count=running, answering=answering, url=f"http://127.0.0.1:{port}/")

    def shutdown(self) -> None:
        self.supervisor.stop()
        for root in list(self._serving):
            with self._instance_lock(root.name).alone():
                self._stop(InstanceFiles(root))
        self.db.shutdown()

    # -- sites -------------------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _site_place(self, spec: InstanceSpec, key: str | None = None) -> Iterator[Place]:
        """MariaDB running, the instance's lock shared (and the site's held, for `key`) and its place resolved:
        what every site operation needs. MariaDB comes first: a thread waiting for it must hold no lock."""
        self._db_up()
        with self._shared(spec, key) as files:
            yield self._place(spec, files)

    def install_site(self, spec: InstanceSpec, site: SiteSpec) -> SiteInfo:
        with self._site_place(spec, site.key) as place:
            return self.sites.install(place, site)

    def delete_site(self, spec: InstanceSpec, key: str) -> None:
        if self.files(spec).read_state().get("port") is not None:
            with self._site_place(spec, key) as place:
                self.sites.delete(place, key)

    def site_info(self, spec: InstanceSpec, key: str) -> SiteInfo | None:
        with self._shared(spec) as files:
            if files.read_state().get("port") is None:
                return None
            return self.sites.info(self._place(spec, files), key)

    def export_site(self, spec: InstanceSpec, key: str, archive: Path) -> Path:
        with self._site_place(spec, key) as place:
            return self.sites.export(place, key, archive)

    def import_site(self, spec: InstanceSpec, site: SiteSpec, archive: Path) -> SiteInfo:
        with self._site_place(spec, site.key) as place:
            return self.sites.import_(place, site, archive)

    def search_replace(self, spec: InstanceSpec, key: str, old: str, new: str) -> int:
        with self._site_place(spec, key) as place:
            return self.sites.search_replace(place, key, old, new)

    def run_admin(self, spec: InstanceSpec, key: str, command: str, args: dict[str, Any] | None = None) -> Any:
        with self._site_place(spec) as place:
            return self.sites.admin(place, key, command, args)

    def copy_site(self, source: InstanceSpec, source_key: str, target: InstanceSpec, site: SiteSpec) -> SiteInfo:
        """Straight from the source's database and files (one MariaDB server holds every instance's sites)."""
        with self._shared(source) as source_files:
            source_place = self._place(source, source_files)
            with self._site_place(target, site.key) as place:
                return self.sites.copy(source_place, source_key, place, site)

    def install_package(self, spec: InstanceSpec, key: str, kind: str, archive: Path) -> dict[str, Any]:
        with self._site_place(spec, key) as place:
            return packages.install(self.sites, place, key, kind, archive)

    def remove_package(self, spec: InstanceSpec, key: str, kind: str, slug: str) -> None:
        with self._site_place(spec, key) as place:
            packages.remove(self.sites, place, key, kind, slug)

    def set_site_maintenance(self, spec: InstanceSpec, key: str, enabled: bool) -> None:
        """Suspend (503 maintenance page) or resume one site; its files and database stay."""
        with self._shared(spec, key) as files:
            info = self.sites.info(self._place(spec, files), key)
            if info is None:
                raise DriverError(f"no site {key} in this instance", code="NOT_FOUND")
            flag = Path(info.files_path) / MAINTENANCE_FLAG
            if enabled:
                write_private(flag, "suspended\n")
            else:
                flag.unlink(missing_ok=True)
