"""MariaDB that cannot start, with a stand-in `mariadbd`: the file lock `bbws serve` and `bbws worker` share is held
only to decide who starts the server and to record it (while it gets ready, another process waits on the server,
not on the lock); once a start has failed, health checks and readiness say MariaDB is restarting at once, without
waiting for a start that is known to fail."""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

from bbws.core.clock import SystemClock
from bbws.core.driver import DriverError, InstanceSpec
from bbws.instances.local import LocalDriver
from bbws.instances.local.mariadb import MariaDB
from bbws.instances.local.versions import Toolbox
from bbws.instances.probes import mariadb_check
from bbws.sites.health import check_site
from tests.support.api import rid


def stand_in(folder: Path, script: str) -> Path:
    """A folder holding a `mariadbd` that runs `script` (sh)."""
    folder.mkdir()
    fake = folder / "mariadbd"
    fake.write_text("#!/bin/sh\n" + script)
    fake.chmod(0o755)
    return folder


def test_the_start_lock_is_free_while_a_new_server_gets_ready(tmp_path: Path) -> None:
    tools = stand_in(tmp_path / "bin", "sleep 60\n")  # a server that starts and never answers
    db = MariaDB(root=tmp_path / "runtime", tools=Toolbox(search_path=str(tools), wordpress_source=tmp_path,
                                                          core_dir=tmp_path / "core"))
    (db.data / "mysql").mkdir(parents=True)  # installed already
    outcome: dict[str, Any] = {}

    def start() -> None:
        try:
            db.ensure_running(timeout=0)
        except DriverError as exc:
            outcome["error"] = exc

    starter = threading.Thread(target=start, daemon=True)
    starter.start()
    deadline = time.monotonic() + 30
    while db.running_pid() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    pid = db.running_pid()
    assert pid is not None, "the server was not started and recorded"
    try:
        time.sleep(0.2)  # the starter now waits for its server to answer
        with (db.dir / "start.lock").open("a") as handle:  # another process on this data dir
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                free = True
                fcntl.flock(handle, fcntl.LOCK_UN)
            except BlockingIOError:
                free = False
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
        starter.join(30)
    assert free, "the start lock was held while waiting for the server to answer"
    error = outcome.get("error")
    assert isinstance(error, DriverError) and error.code == "RUNTIME_DB_UNAVAILABLE", outcome


def test_once_a_start_failed_a_health_check_and_readiness_say_mariadb_is_restarting_at_once(tmp_path: Path) -> None:
    starts = tmp_path / "starts"
    tools = stand_in(tmp_path / "bin", f"echo start >> {starts}\nexit 1\n")  # dies at once, every time
    driver = LocalDriver(tmp_path / "runtime", port_range=range(29_990, 29_999), search_path=str(tools))
    (driver.db.data / "mysql").mkdir(parents=True)
    for _ in range(3):  # three failed starts: the next one is due only after a backoff
        while not driver.db.backoff.due(time.monotonic()):
            time.sleep(0.02)
        try:
            driver.db.ensure_running(timeout=0)
        except DriverError as exc:
            assert exc.code == "RUNTIME_DB_UNAVAILABLE"
    tried = starts.read_text().count("start")
    assert tried == 3

    spec = InstanceSpec(tenant_id=rid("ten"), environment="dev", instance_id=rid("ins"), desired_count=1,
                        wordpress_version="6.4", php_version="8.2")
    report = check_site(driver=driver, spec=spec, key="s1", url="http://127.0.0.1:9/", declared=None,
                        clock=SystemClock(), timeout=1.0)
    database = next(c for c in report["checks"] if c["name"] == "database")
    assert database["status"] == "fail" and "MariaDB is down and restarting" in database["detail"]
    assert "3 failed start(s) in a row" in database["detail"]
    assert starts.read_text().count("start") == tried  # answered from what the supervisor knows: no start waited

    ready = mariadb_check(driver)
    assert ready["status"] == "failing" and "MariaDB is down and restarting" in ready["detail"]
