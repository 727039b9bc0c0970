"""The files of one local instance: `www/` (a folder per site), `run/`, `logs/`, `mail/`, its state and sites.json."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bbws.core import files
from bbws.core.files import file_lock, private_dir, write_private
from bbws.instances.local import naming

MAINTENANCE_FLAG = ".bbws-maintenance"


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_json(path: Path, data: dict[str, Any]) -> None:
    write_private(path, json.dumps(data, indent=2, sort_keys=True))


@dataclass(frozen=True)
class InstanceFiles:
    root: Path

    @property
    def www(self) -> Path:
        return self.root / "www"

    @property
    def run(self) -> Path:
        return self.root / "run"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def mail(self) -> Path:
        return self.root / "mail"

    @property
    def state_file(self) -> Path:
        return self.root / "instance.json"

    @property
    def sites_file(self) -> Path:
        return self.root / "sites.json"

    @property
    def pid_file(self) -> Path:
        return self.run / "php.pid"

    def site_dir(self, path: str) -> Path:
        return self.www / naming.site_path(path)

    def mail_log(self, key: str) -> Path:
        return self.mail / f"{naming.site_key(key)}.jsonl"

    def scratch(self) -> contextlib.AbstractContextManager[Path]:
        """A private folder under run/ for one site operation, removed after it (those of killed processes too)."""
        return files.scratch(self.run)

    def sweep_scratch(self) -> list[Path]:
        return files.sweep_scratch(self.run)

    def create(self) -> None:
        for folder in (self.root, self.www, self.run, self.logs, self.mail):
            private_dir(folder)  # wp-config files below hold database passwords
        if not self.sites_file.exists():
            self.write_sites({})

    # -- state: what provision recorded (port, versions, size, settings) -----------------------------------
    def read_state(self) -> dict[str, Any]:
        return _read_json(self.state_file)

    def write_state(self, state: dict[str, Any]) -> None:
        private_dir(self.root)
        _write_json(self.state_file, state)

    # -- sites.json: the registry of this instance's sites (read by the router's status page too) ------------
    def read_sites(self) -> dict[str, dict[str, Any]]:
        sites = _read_json(self.sites_file).get("sites", {})
        return sites if isinstance(sites, dict) else {}

    def write_sites(self, sites: dict[str, dict[str, Any]]) -> None:
        _write_json(self.sites_file, {"sites": sites})

    @contextlib.contextmanager
    def editing_sites(self) -> Iterator[dict[str, dict[str, Any]]]:
        """sites.json for a read-modify-write, one writer at a time across threads and across the processes that
        share the data dir (`bbws serve`, `bbws worker`); written back when the block ends without an error."""
        with file_lock(self.root / "sites.lock"):
            sites = self.read_sites()
            yield sites
            self.write_sites(sites)

    def read_pid(self) -> int | None:
        try:
            return int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None

    def write_pid(self, pid: int | None) -> None:
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
        else:
            write_private(self.pid_file, str(pid))


def recorded_ports(instances_dir: Path, *, besides: Path | None = None) -> set[int]:
    """Ports recorded by the instances under `instances_dir` (all but `besides`)."""
    ports = set()
    if instances_dir.is_dir():
        for entry in instances_dir.iterdir():
            if entry != besides:
                port = _read_json(entry / "instance.json").get("port")
                if isinstance(port, int):
                    ports.add(port)
    return ports
