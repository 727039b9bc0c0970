"""Site operations of the local runtime: install, delete, export/import, search-replace and admin commands."""

from __future__ import annotations

import contextlib
import json
import shutil
import tarfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bbws.core.driver import DriverError, SiteInfo, SiteSpec
from bbws.core.files import open_private, private_dir
from bbws.instances.local import config, naming, wordpress
from bbws.instances.local.layout import InstanceFiles
from bbws.instances.local.mariadb import MariaDB
from bbws.instances.local.swap import Build, Swaps, database_of, databases_of, folders_of
from bbws.instances.local.wordpress import CoreTemplates

ADMIN_COMMANDS = frozenset(
    {
        "plugins",
        "activate-plugin",
        "deactivate-plugin",
        "themes",
        "switch-theme",
        "get-option",
        "update-option",
        "health",
        "packages",
        "finish-copy",
        "create-app-password",
        "posts-count",
        "create-post",
        "rotate-credentials",
        "reset-admin",
        "upgrade-db",
        "inventory",
        "get-options",
        "set-options",
        "remove-sample-content",
        "save-template",
        "set-menu",
    }
)
ARCHIVE_FORMAT = 1


@dataclass(frozen=True)
class Place:
    """The instance a site operation works in."""

    files: InstanceFiles
    port: int
    php: str  # the PHP binary of the instance
    wordpress_version: str

    def url(self, path: str) -> str:
        return naming.site_url(self.port, path)


class Sites:
    def __init__(self, *, db: MariaDB, cores: CoreTemplates) -> None:
        self.db = db
        self.cores = cores
        self.swaps = Swaps(db, self._settle_files)

    # -- registry ----------------------------------------------------------------------------------------
    def _claim(self, place: Place, key: str, path: str, title: str) -> dict[str, Any]:
        """Record the site as being made (or return its entry); refuses a path or database owned elsewhere."""
        if key not in place.files.read_sites() and self.db.database_exists(naming.database_name(key)):
            raise DriverError(f"database {naming.database_name(key)} belongs to another instance", code="CONFLICT")
        with place.files.editing_sites() as sites:  # two sites made at once cannot both take one path
            entry = sites.get(key)
            if entry is not None and entry["path"] != path:
                raise DriverError(f"site {key} already exists at /{entry['path']}/", code="CONFLICT")
            if any(other != key and each["path"] == path for other, each in sites.items()):
                raise DriverError(f"the path /{path}/ is taken by another site of this instance", code="CONFLICT")
            if entry is None:
                entry = {"path": path, "title": title, "status": "installing", "createdAt": int(time.time())}
                sites[key] = entry
            return dict(entry)

    def _settle(self, place: Place, key: str, **fields: Any) -> None:
        self._settle_files(place.files, key, **fields)

    @staticmethod
    def _settle_files(files: InstanceFiles, key: str, **fields: Any) -> None:
        """Write `fields` into the site's entry; a field given as None is removed."""
        with files.editing_sites() as sites:
            entry = {**sites[key], **fields}
            sites[key] = {name: value for name, value in entry.items() if value is not None}

    @contextlib.contextmanager
    def _building(self, place: Place, key: str, path: str, title: str) -> Iterator[Build]:
        """Where a copy of a site is made: beside the live site when one is there to be replaced (visitors keep
        seeing it until the switch), else in the site's own place (a new site, or one whose making was cut short).
        A replacement that fails is undone at once (the live site never changed); a crash leaves it to the next
        attempt, which finishes or undoes it first."""
        entry = place.files.read_sites().get(key)
        if not (
            entry is not None
            and entry.get("status") == "ready"
            and entry["path"] == path
            and (place.files.site_dir(path) / "index.php").is_file()
        ):
            entry = self._claim(place, key, path, title)
            self._settle(place, key, status="installing")
            yield Build(key=key, path=path, database=database_of(key, entry), folder=place.files.site_dir(path),
                        generation=int(entry.get("generation") or 0), replacing=False)
            return
        build = self.swaps.begin(place.files, key, entry)
        try:
            yield build
        except Exception:
            with contextlib.suppress(Exception):  # what cannot be undone now (MariaDB gone) the next attempt undoes
                self.swaps.recover(place.files, key, place.files.read_sites()[key])
            raise

    def _ready(self, place: Place, key: str) -> dict[str, Any]:
        entry = place.files.read_sites().get(naming.site_key(key))
        if entry is None or entry.get("status") != "ready":
            raise DriverError(f"no site {key} in this instance", code="NOT_FOUND")
        return entry

    def _info(
        self,
        place: Place,
        key: str,
        entry: dict[str, Any],
        password: str | None = None,
        packages: dict[str, Any] | None = None,
    ) -> SiteInfo:
        return SiteInfo(
            url=place.url(entry["path"]) + "/",
            path=entry["path"],
            database=database_of(key, entry),
            database_user=naming.database_name(key),
            files_path=str(place.files.site_dir(entry["path"])),
            admin_user=entry.get("adminUser", "admin"),
            admin_password=password,
            packages=packages,
        )

    def _write_config(self, place: Place, build: Build, secret: str) -> None:
        settings = config.SiteConfig(
            database=build.database,
            user=naming.database_name(build.key),
            password=secret,
            socket=str(self.db.socket),
            url=place.url(build.path),
            mail_log=str(place.files.mail_log(build.key)),
            key=build.key,
        )
        wordpress.write_config(build.folder, settings)

    @staticmethod
    def _database_secret(place: Place, path: str) -> str:
        """The database password of a site being replaced (a restore, a promotion's target) stays what it was:
        the running PHP workers keep a compiled wp-config for a moment after it is rewritten. A new site gets a
        new one."""
        return wordpress.read_config_value(place.files.site_dir(path), "DB_PASSWORD") or config.password()

    def _script(self, place: Place, path: str, script: str, *, folder: Path | None = None, **payload: Any) -> Any:
        """Run `script` on the site at `path` (its files in `folder` while a replacement is built beside it)."""
        generation = self.db.generation  # the server the script starts with: stopped if that one goes away
        return wordpress.run_script(
            place.php,
            script,
            {"dir": str(folder or place.files.site_dir(path)), "url": place.url(path), **payload},
            db_lost=lambda: self.db.lost(generation),
        )

    # -- operations --------------------------------------------------------------------------------------
    def install(self, place: Place, site: SiteSpec) -> SiteInfo:
        key, path = naming.site_key(site.key), naming.site_path(site.path)
        entry = self._claim(place, key, path, site.title)
        password = site.admin_password or config.password()
        if entry["status"] == "ready":  # a retried install: hand back working credentials
            self._script(
                place,
                path,
                "admin.php",
                command="reset-admin",
                args={"user": entry.get("adminUser", site.admin_user), "password": password, "email": site.admin_email},
            )
            return self._info(place, key, entry, password)
        secret = config.password()
        build = Build(key=key, path=path, database=database_of(key, entry), folder=place.files.site_dir(path),
                      generation=int(entry.get("generation") or 0), replacing=False)
        # A retry after an install cut short (its database went away) starts over: the half-made database
        # holds nothing of the tenant's yet, and WordPress would take it for an installed site.
        self.db.recreate_database(build.database)
        self.db.create_site_database(build.database, secret, user=naming.database_name(key))
        wordpress.new_site_files(self.cores.ensure(place.wordpress_version), build.folder)
        self._write_config(place, build, secret)
        self._script(
            place,
            path,
            "install.php",
            title=site.title,
            admin_user=site.admin_user,
            admin_email=site.admin_email,
            admin_password=password,
            tagline=site.tagline,
        )
        self._settle(place, key, status="ready", adminUser=site.admin_user, wordpressVersion=place.wordpress_version)
        return self._info(place, key, place.files.read_sites()[key], password)

    def delete(self, place: Place, key: str) -> None:
        key = naming.site_key(key)
        entry = place.files.read_sites().get(key)
        if entry is None:
            return
        self._settle(place, key, status="deleting")
        for database in databases_of(key, entry):
            self.db.drop_database(database)
        self.db.drop_site_database(naming.database_name(key))  # its first database, if still there, and its user
        for folder in folders_of(place.files, entry):
            shutil.rmtree(folder, ignore_errors=True)
        place.files.mail_log(key).unlink(missing_ok=True)
        with place.files.editing_sites() as sites:
            sites.pop(key, None)

    def info(self, place: Place, key: str) -> SiteInfo | None:
        entry = place.files.read_sites().get(naming.site_key(key))
        return self._info(place, key, entry) if entry and entry.get("status") == "ready" else None

    def export(self, place: Place, key: str, archive: Path) -> Path:
        entry = self._ready(place, key)
        site_dir = place.files.site_dir(entry["path"])
        private_dir(archive.parent)
        partial = archive.with_name(archive.name + ".partial")
        with place.files.scratch() as work:
            dump = Path(work) / "database.sql"
            self.db.dump(database_of(key, entry), dump)
            manifest = {
                "format": ARCHIVE_FORMAT,
                "key": key,
                "path": entry["path"],
                "title": entry.get("title"),
                "url": place.url(entry["path"]),
                "wordpressVersion": entry.get("wordpressVersion"),
                "tablePrefix": "wp_",
                "exportedAt": int(time.time()),
            }
            (Path(work) / "manifest.json").write_text(json.dumps(manifest, indent=2))
            with open_private(partial) as sink, tarfile.open(fileobj=sink, mode="w:gz", compresslevel=1) as tar:
                tar.add(Path(work) / "manifest.json", arcname="manifest.json")
                tar.add(dump, arcname="database.sql")
                tar.add(site_dir / "wp-content", arcname="wp-content")
        partial.replace(archive)
        return archive

    def import_(self, place: Place, site: SiteSpec, archive: Path) -> SiteInfo:
        key, path = naming.site_key(site.key), naming.site_path(site.path)
        with place.files.scratch() as work:
            manifest = _unpack(archive, Path(work))
            with self._building(place, key, path, site.title) as build:
                secret = self._new_database(place, build)
                self.db.load(build.database, Path(work) / "database.sql")
                wordpress.new_site_files(
                    self.cores.ensure(place.wordpress_version), build.folder, wp_content=Path(work) / "wp-content"
                )
                return self._finish_copy(
                    place,
                    site,
                    build,
                    str(manifest["url"]),
                    manifest.get("wordpressVersion"),
                    imported_from=manifest.get("key"),
                    secret=secret,
                )

    def copy(self, source: Place, source_key: str, place: Place, site: SiteSpec) -> SiteInfo:
        """Copy a site of this MariaDB server (any instance) over `site`: the database straight from server to
        server, `wp-content` file by file; no archive in between."""
        entry = self._ready(source, source_key)
        key, path = naming.site_key(site.key), naming.site_path(site.path)
        with self._building(place, key, path, site.title) as build:
            secret = self._new_database(place, build)
            self.db.copy_database(database_of(source_key, entry), build.database)
            with place.files.scratch() as work:
                content = Path(work) / "wp-content"
                shutil.copytree(source.files.site_dir(entry["path"]) / "wp-content", content, symlinks=True)
                wordpress.new_site_files(self.cores.ensure(place.wordpress_version), build.folder, wp_content=content)
            return self._finish_copy(
                place,
                site,
                build,
                source.url(entry["path"]),
                entry.get("wordpressVersion"),
                imported_from=source_key,
                secret=secret,
            )

    def _new_database(self, place: Place, build: Build) -> str:
        """An empty database for the build, reachable by the site's user; the password the site will use. A site
        being replaced keeps its password: PHP workers may hold the live wp-config for a moment after the switch."""
        secret = self._database_secret(place, build.path)
        self.db.recreate_database(build.database)
        self.db.create_site_database(build.database, secret, user=naming.database_name(build.key))
        return secret

    def _finish_copy(
        self,
        place: Place,
        site: SiteSpec,
        build: Build,
        old_url: str,
        old_version: Any,
        *,
        imported_from: Any,
        secret: str,
    ) -> SiteInfo:
        """A copied site made its own: config with its database password and fresh salts, URLs rewritten, the
        database upgraded when the core differs, the source's credentials dropped, a new admin password; then
        put live (switched in, when it replaces a site)."""
        key, path = build.key, build.path
        self._write_config(place, build, secret)
        if old_version != place.wordpress_version:
            self._script(place, path, "admin.php", folder=build.folder, command="upgrade-db")
        old, new = old_url.rstrip("/"), place.url(path)
        # block content keeps URLs JSON-escaped too (http:\/\/...); the replacement runs inside finish-copy
        pairs = [[old, new], [old.replace("/", "\\/"), new.replace("/", "\\/")]] if old != new else []
        password = site.admin_password or config.password()
        args = {"user": site.admin_user, "password": password, "email": site.admin_email, "title": site.title,
                "tagline": site.tagline, "pairs": pairs}
        packages = self._script(place, path, "admin.php", folder=build.folder, command="finish-copy", args=args)
        if build.replacing:
            self.swaps.switch(place.files, build, place.files.read_sites()[key])
        self._settle(
            place,
            key,
            status="ready",
            title=site.title,
            adminUser=site.admin_user,
            wordpressVersion=place.wordpress_version,
            importedFrom=imported_from,
        )
        return self._info(place, key, place.files.read_sites()[key], password, packages)

    def search_replace(self, place: Place, key: str, old: str, new: str) -> int:
        entry = self._ready(place, key)
        if not old:
            raise DriverError("the string to replace must not be empty", code="INVALID_ARGUMENT")
        answer = self._script(place, entry["path"], "search-replace.php", old=old, new=new)
        return int(answer["changed"])

    def admin(self, place: Place, key: str, command: str, args: dict[str, Any] | None) -> Any:
        if command not in ADMIN_COMMANDS:
            raise DriverError(
                f"unknown admin command {command!r}; known: {', '.join(sorted(ADMIN_COMMANDS))}", code="UNKNOWN_COMMAND"
            )
        entry = self._ready(place, key)
        return self._script(place, entry["path"], "admin.php", command=command, args=args or {})

    def upgrade_all(self, place: Place, core: Path) -> None:
        """Re-link every site to `core` (another WordPress version) and run the database upgrade."""
        for entry in place.files.read_sites().values():
            site_dir = place.files.site_dir(entry["path"])
            if entry.get("status") == "ready" and site_dir.is_dir():
                wordpress.relink_core(core, site_dir)
                self._script(place, entry["path"], "admin.php", command="upgrade-db")
        with place.files.editing_sites() as sites:
            for entry in sites.values():
                entry["wordpressVersion"] = place.wordpress_version


def _unpack(archive: Path, work: Path) -> dict[str, Any]:
    """Extract an archive made by `export` (data-only members: no links out, no devices) and read its manifest."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(work, filter="data")
        manifest = json.loads((work / "manifest.json").read_text())
    except (OSError, tarfile.TarError, ValueError) as exc:
        raise DriverError(f"{archive.name} is not a site archive: {exc}", code="INVALID_ARCHIVE") from exc
    if manifest.get("format") != ARCHIVE_FORMAT or not (work / "database.sql").is_file():
        raise DriverError(f"{archive.name} is not a site archive of format {ARCHIVE_FORMAT}", code="INVALID_ARCHIVE")
    if not (work / "wp-content").is_dir():
        (work / "wp-content").mkdir()
    return manifest
