"""An instance's scratch folders: removed after use, and those of a killed process swept by the next user, while a
live process's (another worker sharing the data dir) are left alone."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bbws.core.files import SCRATCH_PREFIX
from bbws.instances.local.layout import InstanceFiles


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_scratch_folders_of_dead_processes_are_swept_and_live_ones_kept(tmp_path: Path) -> None:
    files = InstanceFiles(tmp_path / "instance")
    files.create()
    killed = files.run / f"{SCRATCH_PREFIX}{dead_pid()}-abc"
    (killed / "wp-content").mkdir(parents=True)
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"]) as other:
        try:
            busy = files.run / f"{SCRATCH_PREFIX}{other.pid}-def"
            busy.mkdir()
            with files.scratch() as work:
                assert work.parent == files.run and work.is_dir()
                assert not killed.exists()
                assert busy.is_dir()
            assert not work.exists()
        finally:
            other.kill()
    assert busy.is_dir()
    assert files.sweep_scratch() == [busy]
