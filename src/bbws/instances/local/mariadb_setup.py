"""Making the private MariaDB's data dir (once per driver root) and securing its root account."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pymysql

from bbws.core.driver import DriverError
from bbws.core.files import CHILD_UMASK, open_private, private_dir
from bbws.instances.local import config
from bbws.instances.local.versions import Toolbox


def install(tools: Toolbox, folder: Path, data: Path) -> None:
    """A fresh data dir at `data` (made beside it, then renamed: a crash leaves none or a whole one)."""
    program = tools.require("mariadb-install-db")
    staging = folder / "data.new"
    shutil.rmtree(staging, ignore_errors=True)
    private_dir(data.parent)
    done = subprocess.run(
        [
            program,
            "--no-defaults",
            f"--datadir={staging}",
            f"--user={server_user()}",
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
            "--innodb-log-file-size=8M",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        stdin=subprocess.DEVNULL,
        umask=CHILD_UMASK,
        env=private_env(),
    )
    if done.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        raise DriverError(f"mariadb-install-db failed: {(done.stderr or done.stdout).strip()[-500:]}")
    shutil.rmtree(data, ignore_errors=True)
    staging.rename(data)


def secure(client_cnf: Path, socket: Path, connect_as: Callable[..., Any]) -> None:
    """Only root@localhost (socket) stays, with a new password kept in `client_cnf` (0600). install-db leaves
    password-less root accounts on 127.0.0.1 and ::1 that anyone on the machine could use. A crash half way is
    resumed: the pending password is written first and tried first."""
    pending = client_cnf.with_suffix(".new")
    secret = cnf_password(pending) or config.password(32)
    write_cnf(pending, secret, socket)
    try:
        conn = connect_as(secret, timeout=5)
    except pymysql.err.OperationalError:
        conn = connect_as("", timeout=5)
    with conn, conn.cursor() as cur:
        cur.execute("SELECT User, Host FROM mysql.user WHERE User = '' OR (User = 'root' AND Host <> 'localhost')")
        for user, host in cur.fetchall():
            cur.execute("DROP USER IF EXISTS %s@%s", (user, host))
        cur.execute("ALTER USER 'root'@'localhost' IDENTIFIED BY %s", (secret,))
        cur.execute("FLUSH PRIVILEGES")
    pending.rename(client_cnf)


def write_cnf(path: Path, secret: str, socket: Path) -> None:
    with open_private(path, "w") as out:
        out.write(f"[client]\nuser=root\npassword={secret}\nsocket={socket}\n")


def cnf_password(path: Path) -> str | None:
    try:
        for line in path.read_text().splitlines():
            if line.startswith("password="):
                return line.partition("=")[2]
    except OSError:
        return None
    return None


def private_env() -> dict[str, str]:
    """mariadbd sets its own umask from these (default 0660 files): owner-only, like the rest of the data dir."""
    return {**os.environ, "UMASK": "0600", "UMASK_DIR": "0700"}


def server_user() -> str:
    """The account mariadbd runs as: ours (root needs saying so, or mariadbd refuses to start)."""
    return pwd.getpwuid(os.getuid()).pw_name
