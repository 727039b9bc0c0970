"""`/readyz` over the real local runtime: the private MariaDB killed makes it 503 naming mariadb; back up, 200."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from bbws.jobs.heartbeat import Heartbeats
from tests.integration.runtime.helpers import Runtime
from tests.support.api import ApiHarness

WAIT = 30.0


def test_a_killed_mariadb_is_named_until_it_runs_again(runtime: Runtime, tmp_path: Path) -> None:
    api = ApiHarness(tmp_path / "data", run_worker=False, driver=runtime.driver)
    Heartbeats(api.container.store).beat("elsewhere:1:abcd:1", in_hand=0)  # a worker runs elsewhere
    db = runtime.driver.db
    db.ensure_running()
    assert api.client.get("/readyz").status_code == 200
    pid = db.running_pid()
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    give_up = time.monotonic() + WAIT
    while (r := api.client.get("/readyz")).status_code != 503:
        assert time.monotonic() < give_up, r.text
        time.sleep(0.05)
    assert r.json()["failing"] == ["mariadb"], r.text
    db.ensure_running()  # what the supervisor does; the session's other tests use this server too
    r = api.client.get("/readyz")
    assert r.status_code == 200, r.text
