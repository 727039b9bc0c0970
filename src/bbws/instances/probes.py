"""Read-only probes of the local runtime for `/readyz` and health checks: is the private MariaDB up, do serving
instances answer."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

from bbws.instances.models import InstanceStatus
from bbws.tenants import keys

PROBE_TIMEOUT = 0.5  # a readiness probe must answer fast; a runtime slower than this is not ready
MAX_INSTANCES = 100  # the most instances one probe connects to


def _accepts(address: Any, family: int) -> bool:
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.settimeout(PROBE_TIMEOUT)
        try:
            sock.connect(address)
        except OSError:
            return False
    return True


def database_outage(driver: Any) -> str | None:
    """Why the runtime's database is known to be down and restarting (its last start failed), at once and without
    touching it; None when it is not known to be down, or the runtime keeps no database of its own."""
    outage = getattr(getattr(driver, "db", None), "outage", None)
    return outage() if callable(outage) else None


def mariadb_check(driver: Any) -> dict[str, Any]:
    """The private MariaDB: not needed before its first start; after that its process must run and its socket
    accept connections. One the supervisor is restarting after a failed start says so."""
    db = driver.db
    outage = database_outage(driver)
    if outage is not None:
        return {"status": "failing", "detail": outage}
    if not Path(db.state_file).exists():
        return {"status": "ok", "detail": "not started yet: no site has needed it"}
    if db.running_pid() is None:
        return {"status": "failing", "detail": "the private MariaDB is not running"}
    if not _accepts(str(db.socket), socket.AF_UNIX):
        return {"status": "failing", "detail": "the private MariaDB does not accept connections"}
    return {"status": "ok"}


def web_check(driver: Any, store: Any) -> dict[str, Any]:
    """Every ACTIVE instance (up to MAX_INSTANCES) accepts connections on its loopback port. Only counts are
    reported: which instances fail is tenant data, shown by the instance's own status endpoint."""
    from bbws.instances.service import spec_of

    items = store.query(keys.ALL_INSTANCES, index="GSI1", limit=MAX_INSTANCES).items
    active = [i for i in items if InstanceStatus(i["status"]) is InstanceStatus.ACTIVE]
    down = 0
    for item in active:
        port = driver.files(spec_of(item)).read_state().get("port")
        if not isinstance(port, int) or not _accepts(("127.0.0.1", port), socket.AF_INET):
            down += 1
    if down:
        return {"status": "failing", "detail": f"{down} of {len(active)} active instances do not accept connections"}
    return {"status": "ok", "instances": len(active)}
