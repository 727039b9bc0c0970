"""The runtime supervisor on real processes: MariaDB and PHP killed again and again come back, dead children are
reaped, and a step whose database dies under it fails with RUNTIME_DB_UNAVAILABLE and succeeds when retried."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pymysql

from bbws.core.driver import DriverError, InstanceSpec
from bbws.instances.local import processes
from bbws.instances.local.mariadb import MariaDB
from tests.integration.runtime.helpers import Runtime, get, make_site
from tests.support.waiting import wait_until

BOUND = 45.0  # seconds any recovery may take here (a restart takes about one)


def wait_for(probe: Callable[[], Any], *, timeout: float = BOUND) -> Any:
    return wait_until(probe, timeout=timeout, every=0.1)


def state_of(pid: int) -> str | None:
    """The /proc state letter of `pid` (Z for a zombie), None once it is gone (reaped)."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw[raw.rindex(")") + 2]


def answering_server(db: MariaDB, *, besides: int) -> int | None:
    """The pid of a server of this root other than `besides` that answers a query. Reads the state file and
    connects directly: nothing here starts, polls or reaps a process (that is the supervisor's job)."""
    try:
        pid = json.loads(db.state_file.read_text())["pid"]
    except (OSError, ValueError, KeyError):
        return None
    if pid == besides:
        return None
    try:
        with db.connect(timeout=2) as conn, conn.cursor() as cur:
            cur.execute("SELECT 1")
    except pymysql.err.OperationalError:
        return None
    return int(pid)


def children_running(script: str) -> list[int]:
    me = str(os.getpid())
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                stat = Path(f"/proc/{entry.name}/stat").read_text()
                line = Path(f"/proc/{entry.name}/cmdline").read_bytes()
            except OSError:
                continue
            if stat[stat.rindex(")") + 2 :].split()[1] == me and script.encode() in line:
                found.append(int(entry.name))
    return found


def test_mariadb_killed_three_times_is_restarted_each_time_and_never_left_a_zombie(
    runtime: Runtime, fresh_instance: Callable[..., InstanceSpec]
) -> None:
    spec = fresh_instance()
    site = runtime.driver.install_site(spec, make_site())
    db = runtime.driver.db
    for _ in range(3):
        killed = db.running_pid()
        assert killed
        os.kill(killed, signal.SIGKILL)
        assert wait_for(lambda killed=killed: answering_server(db, besides=killed)), "MariaDB was not restarted"
        assert wait_for(lambda killed=killed: state_of(killed) is None), f"{killed} stayed a {state_of(killed)}"
    assert wait_for(lambda: get(site.url)[0] == 200), "the site did not come back with its database"


def test_a_killed_php_server_is_restarted_by_the_supervisor(
    runtime: Runtime, fresh_instance: Callable[..., InstanceSpec]
) -> None:
    spec = fresh_instance()
    files = runtime.driver.files(spec)
    port = files.read_state()["port"]
    for _ in range(2):
        killed = files.read_pid()
        assert killed
        os.killpg(killed, signal.SIGKILL)

        def back(killed: int = killed) -> bool:
            return files.read_pid() not in (None, killed) and processes.http_status(port, "/") == 200

        assert wait_for(back), "PHP was not restarted"
        assert wait_for(lambda killed=killed: state_of(killed) is None), f"{killed} stayed a {state_of(killed)}"
    assert runtime.driver.status(spec).running_count == spec.desired_count


def test_an_install_whose_database_dies_fails_as_unavailable_and_its_retry_succeeds(
    runtime: Runtime, fresh_instance: Callable[..., InstanceSpec]
) -> None:
    spec = fresh_instance()
    site = make_site()
    outcome: dict[str, Any] = {}

    def install() -> None:
        try:
            outcome["info"] = runtime.driver.install_site(spec, site)
        except DriverError as exc:
            outcome["error"] = exc

    worker = threading.Thread(target=install)
    worker.start()
    assert wait_for(lambda: children_running("install.php"), timeout=30), "install.php never ran"
    time.sleep(0.3)  # inside wp_install's queries
    killed = runtime.driver.db.running_pid()
    assert killed
    os.kill(killed, signal.SIGKILL)
    worker.join(BOUND)
    assert not worker.is_alive(), "the install hung after its database died"
    error = outcome.get("error")
    assert isinstance(error, DriverError), outcome
    assert error.code == "RUNTIME_DB_UNAVAILABLE" and error.retryable
    assert "<" not in error.reason and "{" not in error.reason  # a sentence, not the installer's HTML or CSS

    info = runtime.driver.install_site(spec, site)  # what the job's next attempt does
    assert get(info.url)[0] == 200
    assert wait_for(lambda: state_of(killed) is None), f"{killed} stayed a {state_of(killed)}"
