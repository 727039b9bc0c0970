"""`file_lock`: one holder at a time across processes and threads; a bounded wait says whether it got the lock."""

from __future__ import annotations

import stat
import subprocess
import sys
import threading
from pathlib import Path

from bbws.core.files import file_lock

HOLD = """
import sys, time
from pathlib import Path
from bbws.core.files import file_lock
with file_lock(Path(sys.argv[1])):
    print("held", flush=True)
    sys.stdin.readline()
"""


def test_another_process_holding_it_makes_a_bounded_wait_give_up(tmp_path: Path) -> None:
    path = tmp_path / "run" / "x.lock"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(path)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with file_lock(path, timeout=0) as held:
            assert held is False
        with file_lock(path, timeout=0.2) as held:
            assert held is False
    finally:
        assert holder.stdin is not None
        holder.stdin.write("\n")
        holder.stdin.flush()
        holder.wait(timeout=30)
    with file_lock(path, timeout=0) as held:
        assert held is True
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_threads_of_one_process_take_turns(tmp_path: Path) -> None:
    path = tmp_path / "x.lock"
    inside, order = threading.Lock(), []

    def work(name: str) -> None:
        with file_lock(path):
            assert inside.acquire(blocking=False), "two holders at once"
            order.append(name)
            threading.Event().wait(0.05)
            inside.release()

    threads = [threading.Thread(target=work, args=(f"t{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(order) == ["t0", "t1", "t2", "t3"]
