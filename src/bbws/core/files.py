"""Files the platform keeps in its data dir: owner-only (0600 files, 0700 folders) whatever the umask, and repaired.

The data dir holds every tenant's records, webhook secrets, the signing key, database dumps and site files. Every
writer creates through these helpers, so the mode never depends on the umask of whoever started the process or on
who created a parent folder first. Processes the runtime starts (PHP, MariaDB) run as the same user and get
`CHILD_UMASK`, so what they write is owner-only too.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import stat
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

FILE_MODE = 0o600
DIR_MODE = 0o700
CHILD_UMASK = 0o077  # for subprocess.Popen(umask=...): what PHP and MariaDB create is owner-only
_OPEN_TO_OTHERS = 0o077


def private_dir(path: Path, *, within: Path | None = None) -> Path:
    """`path` as a folder (created with its missing parents), 0700 along with every folder this call created and,
    with `within`, every folder from `within` down to `path`, whoever created them."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    below = [p for p in (path, *path.parents) if within is not None and p.is_relative_to(within)]
    for folder in {path, *missing, *below}:
        _narrow(folder, folder.lstat())  # mkdir's mode passes through the umask; chmod does not
    return path


@contextmanager
def open_private(path: Path, mode: str = "wb") -> Iterator[IO[Any]]:
    """Open `path` for writing as a 0600 file, also when it existed with a wider mode (its folder made private)."""
    private_dir(path.parent)
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if mode.startswith("a") else os.O_TRUNC)
    fd = os.open(path, flags, FILE_MODE)
    os.fchmod(fd, FILE_MODE)
    with os.fdopen(fd, mode) as handle:
        yield handle


@contextmanager
def file_lock(path: Path, *, timeout: float | None = None) -> Iterator[bool]:
    """An exclusive lock on `path` (0600) shared with every process on this data dir, and with other threads of
    this one (each call opens its own handle). Waits without end when `timeout` is None, else up to `timeout`
    seconds (0: one try); yields whether it is held. Let go when the block ends."""
    deadline = None if timeout is None else time.monotonic() + timeout
    with open_private(path, "a") as handle:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | (0 if deadline is None else fcntl.LOCK_NB))
                break
            except BlockingIOError:
                if deadline is not None and time.monotonic() >= deadline:
                    yield False
                    return
                time.sleep(0.05)
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


SCRATCH_PREFIX = "scratch-"  # scratch-<pid>-<random>: the pid tells whether the folder's owner still runs


@contextmanager
def scratch(parent: Path) -> Iterator[Path]:
    """A private folder under `parent` for one piece of work (an archive unpacked, a dump written), removed after
    it. A process killed in the middle never removes its own, so each new one first sweeps those of dead
    processes (`sweep_scratch`)."""
    sweep_scratch(parent)
    private_dir(parent)
    with tempfile.TemporaryDirectory(dir=parent, prefix=f"{SCRATCH_PREFIX}{os.getpid()}-") as work:
        yield Path(work)


def sweep_scratch(parent: Path) -> list[Path]:
    """Remove the scratch folders under `parent` whose process is gone; returns them. Folders of a live process
    (this one's other threads, or a `bbws worker` sharing the data dir) stay."""
    swept = []
    for folder in parent.glob(f"{SCRATCH_PREFIX}*") if parent.is_dir() else ():
        owner = folder.name.removeprefix(SCRATCH_PREFIX).split("-", 1)[0]
        if owner.isdigit() and not _running(int(owner)):
            shutil.rmtree(folder, ignore_errors=True)
            swept.append(folder)
    return swept


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process has that pid now
    return True


def write_private(path: Path, data: bytes | str) -> None:
    """Replace `path` at once (a temp file then a rename) with a 0600 file holding `data`."""
    temp = path.with_name(f".{path.name}.tmp")
    with open_private(temp, "wb") as out:
        out.write(data.encode() if isinstance(data, str) else data)
    temp.replace(path)


def make_private(path: Path) -> int:
    """Make `path` (a file, or a folder and all below it) owner-only after a writer that does not use these
    helpers (sqlite, copytree, tar); how many modes it changed."""
    if path.is_symlink() or not path.exists():
        return 0
    if not path.is_dir():
        return _narrow(path, path.lstat())
    return repair_tree(path)


def repair_tree(root: Path) -> int:
    """Take group and other permissions off every file and folder below `root` (and `root` itself); links and
    sockets are left alone, and so is what another user owns. How many modes were changed."""
    repaired = _narrow(root, root.lstat())
    for folder, dirs, files in os.walk(root):
        for name in (*dirs, *files):
            path = Path(folder, name)
            try:
                repaired += _narrow(path, path.lstat())
            except OSError:
                continue  # gone meanwhile, or not ours to change
    return repaired


def _narrow(path: Path, info: os.stat_result) -> int:
    if not (stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode)) or info.st_uid != os.getuid():
        return 0
    mode = stat.S_IMODE(info.st_mode)
    wanted = DIR_MODE if stat.S_ISDIR(info.st_mode) else (mode & 0o700) | FILE_MODE  # an owner's x bit stays
    if mode == wanted or (not mode & _OPEN_TO_OTHERS and not stat.S_ISDIR(info.st_mode)):
        return 0
    os.chmod(path, wanted)
    return 1


def prepare_data_dir(path: Path) -> int:
    """Create the data dir owner-only, or repair the modes of an existing one; how many were repaired."""
    if not path.exists():
        private_dir(path)
        return 0
    return repair_tree(path)
