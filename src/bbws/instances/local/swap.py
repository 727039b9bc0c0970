"""Replacing a live site without a gap visitors can see (restore, promotion, template).

The replacement is built beside the live site: its files in a hidden folder of the document root (`.swap-<path>`,
which the router never serves) and its database under a new name (`wp_<key>$<n>`), its wp-config pointing there.
One rename then exchanges the two folders: a request sees the old site or the new one, whole. What was replaced is
removed once no request uses its database any more.

Every step is recorded in the site's registry entry before it is taken (`staging`, then `retired`), so a crash at any
moment leaves the old site or the new one serving, and the next attempt finishes or discards what is half done.
"""

from __future__ import annotations

import ctypes
import errno
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bbws.instances.local import naming, wordpress
from bbws.instances.local.layout import InstanceFiles
from bbws.instances.local.mariadb import MariaDB

STAGING_PREFIX = ".swap-"
RENAME_EXCHANGE = 2  # linux/fs.h
AT_FDCWD = -100
GRACE = 1.0  # seconds a retired copy is kept at least: a request may have read its wp-config and not yet connected
DRAIN = 30.0  # seconds to wait for requests still connected to the retired database before dropping it anyway


def database_of(key: str, entry: dict[str, Any]) -> str:
    """The database the site serves from now: the one its last replacement was built in, or its first."""
    return str(entry.get("database") or naming.database_name(key))


def databases_of(key: str, entry: dict[str, Any]) -> list[str]:
    """Every database the site holds: the live one, and a replacement under way or being retired."""
    found = [database_of(key, entry)]
    for part in ("staging", "retired"):
        if isinstance(entry.get(part), dict) and entry[part].get("database"):
            found.append(str(entry[part]["database"]))
    return found


def folders_of(files: InstanceFiles, entry: dict[str, Any]) -> list[Path]:
    """Every folder the site holds: the live one, and a replacement's (which after the switch holds the old copy)."""
    found = [files.site_dir(entry["path"])]
    for part in ("staging", "retired"):
        if isinstance(entry.get(part), dict) and entry[part].get("folder"):
            found.append(files.www / str(entry[part]["folder"]))
    return found


def exchange(new: Path, live: Path) -> None:
    """Swap the folders at `new` and `live` in one step (renameat2 with RENAME_EXCHANGE). A filesystem that cannot
    exchange gets two renames instead: between them (microseconds) nothing is at `live`, the only moment of a
    replacement that a visitor could see as a 404."""
    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is not None:
        if renameat2(AT_FDCWD, os.fsencode(new), AT_FDCWD, os.fsencode(live), RENAME_EXCHANGE) == 0:
            return
        failure = ctypes.get_errno()
        if failure not in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
            raise OSError(failure, os.strerror(failure), str(live))
    aside = new.with_name(new.name + ".old")
    live.rename(aside)
    new.rename(live)
    aside.rename(new)


@dataclass(frozen=True)
class Build:
    """Where a site's new copy is made: beside the live site (`replacing`), or in place for a site made anew."""

    key: str
    path: str
    database: str
    folder: Path
    generation: int
    replacing: bool


class Swaps:
    """The registry bookkeeping of replacements; `settle` writes fields of the site's entry (None removes one)."""

    def __init__(self, db: MariaDB, settle: Callable[..., None]) -> None:
        self.db = db
        self.settle = settle

    def begin(self, files: InstanceFiles, key: str, entry: dict[str, Any]) -> Build:
        """Record and prepare the place of a replacement of the live site `key` (after finishing or discarding an
        earlier attempt's)."""
        entry = self.recover(files, key, entry)
        generation = int(entry.get("generation") or 0) + 1
        path = entry["path"]
        build = Build(
            key=key,
            path=path,
            database=naming.generation_database(key, generation),
            folder=files.www / f"{STAGING_PREFIX}{path}",
            generation=generation,
            replacing=True,
        )
        self.settle(files, key, staging={"database": build.database, "folder": build.folder.name,
                                         "generation": generation})
        shutil.rmtree(build.folder, ignore_errors=True)
        return build

    def switch(self, files: InstanceFiles, build: Build, entry: dict[str, Any]) -> None:
        """Put the built copy live in one step, then remove the copy it replaced."""
        live = files.site_dir(build.path)
        for flag in live.glob(".bbws-*"):  # a suspended site stays suspended, whatever its new content
            shutil.copy2(flag, build.folder / flag.name)
        exchange(build.folder, live)
        self.settle(files, build.key, database=build.database, generation=build.generation, staging=None,
                    retired={"database": database_of(build.key, entry), "folder": build.folder.name})
        self.retire(files, build.key)

    def recover(self, files: InstanceFiles, key: str, entry: dict[str, Any]) -> dict[str, Any]:
        """Finish what an interrupted replacement left: a switch made but not recorded is recorded; a build that
        never went live is thrown away; a replaced copy still there is removed. The entry as it is then."""
        staging = entry.get("staging")
        if isinstance(staging, dict):
            live_database = wordpress.read_config_value(files.site_dir(entry["path"]), "DB_NAME")
            if live_database == staging["database"]:
                self.settle(files, key, database=staging["database"], generation=staging["generation"], staging=None,
                            retired={"database": database_of(key, entry), "folder": staging["folder"]})
            else:
                self.db.drop_database(str(staging["database"]))
                shutil.rmtree(files.www / str(staging["folder"]), ignore_errors=True)
                self.settle(files, key, staging=None)
        self.retire(files, key)
        return files.read_sites()[key]

    def retire(self, files: InstanceFiles, key: str) -> None:
        """Remove the copy a switch replaced, once no request is connected to its database (or after DRAIN s)."""
        retired = files.read_sites().get(key, {}).get("retired")
        if not isinstance(retired, dict):
            return
        database = str(retired["database"])
        time.sleep(GRACE)
        deadline = time.monotonic() + DRAIN
        while self.db.connections_to(database) and time.monotonic() < deadline:
            time.sleep(0.1)
        self.db.drop_database(database)
        shutil.rmtree(files.www / str(retired["folder"]), ignore_errors=True)
        self.settle(files, key, retired=None)
