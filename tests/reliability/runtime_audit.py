"""What the local runtime holds, checked against the platform's records once every operation is terminal: no
database, database user, site folder or registry entry without a live site, none missing for a live site, no
half-made replacement (`.swap-*` folders, `wp_<key>$<n>` databases, `staging`/`retired` entries), no scratch
folders or `.partial` archives, and every backup COMPLETED with its archive (or not there at all)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pymysql

from bbws.core.store import ItemStore
from bbws.tenants import keys as tenant_keys

SERVING = {"ACTIVE", "SUSPENDED"}  # a site in these has its entry, folder and database
RUN_FILES = {"php.pid", "supervise.lock"}  # what an instance's run/ folder holds between operations
SETTLE_SECONDS = 10.0  # follow-up jobs (the clean-up of a failed create) run after the operation ended


def _json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


@contextmanager
def root_cursor(runtime: Path) -> Iterator[Any]:
    """A root cursor on the runtime's private MariaDB (socket and password from its client.cnf)."""
    cnf = dict(
        line.split("=", 1) for line in (runtime / "mariadb" / "client.cnf").read_text().splitlines() if "=" in line
    )
    conn = pymysql.connect(unix_socket=cnf["socket"], user="root", password=cnf["password"], connect_timeout=5)
    try:
        with conn.cursor() as cur:
            yield cur
    finally:
        conn.close()


def server_names(runtime: Path) -> tuple[set[str], set[str]]:
    """(site databases, site database users) on the MariaDB server: every name starting `wp_`."""
    with root_cursor(runtime) as cur:
        cur.execute("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'wp\\_%'")
        databases = {str(row[0]) for row in cur.fetchall()}
        cur.execute("SELECT User FROM mysql.user WHERE User LIKE 'wp\\_%'")
        users = {str(row[0]) for row in cur.fetchall()}
    return databases, users


def _records(store: ItemStore, tenant_id: str, prefix: str) -> list[dict[str, Any]]:
    return list(store.iterate(tenant_keys.tenant_pk(tenant_id), sk_prefix=prefix))


def audit(*, data: Path, store: ItemStore, tenant_id: str) -> list[str]:
    """Every disagreement between the tenant's records and what the runtime and the artifact folder hold."""
    runtime, problems = data / "runtime", []
    sites = _records(store, tenant_id, "SITE#")
    problems += [f"site {s['siteId']} is still held by {s['pendingOperationId']}" for s in sites
                 if s.get("pendingOperationId")]
    problems += [f"site {s['siteId']} is {s['status']} with no operation on it" for s in sites
                 if s["status"] not in SERVING | {"DELETED", "FAILED"}]
    places = [(s["environment"], s["subdomain"]) for s in sites if s["status"] != "DELETED"]
    problems += [f"{n} sites at {env}/{sub}" for (env, sub) in set(places) if (n := places.count((env, sub))) > 1]
    databases, users = server_names(runtime)
    owned: set[str] = set()
    owners: set[str] = set()  # a site's database user keeps its first name (`wp_<key>`) whatever database it uses
    for entry_dir in sorted((runtime / "instances").iterdir()):
        entries = _json(entry_dir / "sites.json").get("sites", {})
        owned |= {e.get("database") or f"wp_{key}" for key, e in entries.items()}
        owners |= {f"wp_{key}" for key in entries}
        if entry_dir.name.startswith(f"{tenant_id}-"):
            environment = entry_dir.name.removeprefix(f"{tenant_id}-")
            mine = [s for s in sites if s["environment"] == environment]
            problems += _instance(entry_dir, entries, mine, databases)
    problems += [f"database {name} belongs to no site entry" for name in sorted(databases - owned)]
    problems += [f"database user {name} belongs to no site entry" for name in sorted(users - owners)]
    problems += [f"scratch folder {p.relative_to(data)} was left" for p in sorted((data / "work").glob("*"))]
    partial = sorted((data / "artifacts").rglob("*.partial"))
    problems += [f"partial archive {p.relative_to(data)} was left" for p in partial]
    return problems + _backups(data, store, tenant_id)


def _instance(
    root: Path, entries: dict[str, dict[str, Any]], sites: list[dict[str, Any]], databases: set[str]
) -> list[str]:
    problems, name = [], root.name
    by_key = {s["key"]: s for s in sites}
    for key, entry in entries.items():
        site = by_key.get(key)
        if site is None or site["status"] == "DELETED" or (site["status"] == "FAILED" and not site.get("url")):
            problems.append(f"{name}: entry {key} has no live site ({site and site['status']})")
        if entry.get("status") != "ready":
            problems.append(f"{name}: entry {key} is {entry.get('status')!r}")
        problems += [f"{name}: entry {key} still has {field!r}" for field in ("staging", "retired") if field in entry]
        if not (root / "www" / str(entry.get("path"))).is_dir():
            problems.append(f"{name}: entry {key} has no folder www/{entry.get('path')}")
        if (entry.get("database") or f"wp_{key}") not in databases:
            problems.append(f"{name}: entry {key} has no database {entry.get('database') or f'wp_{key}'}")
    for site in sites:
        if site["status"] in SERVING and site["key"] not in entries:
            problems.append(f"{name}: {site['status']} site {site['siteId']} has no entry in sites.json")
    paths = {str(e.get("path")) for e in entries.values()}
    for folder in sorted((root / "www").iterdir()):
        if folder.is_dir() and folder.name not in paths:
            problems.append(f"{name}: folder www/{folder.name} belongs to no entry")
    problems += [f"{name}: run/{p.name} was left" for p in sorted((root / "run").iterdir()) if p.name not in RUN_FILES]
    return problems


def _backups(data: Path, store: ItemStore, tenant_id: str) -> list[str]:
    problems, named = [], set()
    for backup in _records(store, tenant_id, "BACKUP#"):
        artifact = data / "artifacts" / backup["artifactKey"]
        named.add(artifact)
        if backup["status"] != "COMPLETED":
            problems.append(f"backup {backup['backupId']} of {backup['siteId']} is {backup['status']}")
        elif not artifact.is_file():
            problems.append(f"backup {backup['backupId']} of {backup['siteId']} has no archive")
    folder = data / "artifacts" / "backups" / tenant_id.lower()
    stray = [p for p in folder.rglob("*") if p.is_file() and p not in named] if folder.is_dir() else []
    return problems + [f"archive {p.relative_to(data)} belongs to no backup" for p in sorted(stray)]


def settled(check: Callable[[], list[str]], timeout: float = SETTLE_SECONDS) -> list[str]:
    """The problems `check` still finds once follow-up work had `timeout` seconds to run (none: an empty list)."""
    deadline = time.monotonic() + timeout
    while (problems := check()) and time.monotonic() < deadline:
        time.sleep(0.25)
    return problems
