"""The site databases on the private MariaDB server: create, drop, dump, load and copy (SQL and client tools)."""

from __future__ import annotations

import contextlib
import subprocess
from pathlib import Path
from typing import Any

from bbws.core.driver import DriverError
from bbws.core.files import open_private
from bbws.instances.local import naming


class SiteDatabases:
    """Mixed into `MariaDB`, which provides the connection, the client tools and the verdict on a failure."""

    def cursor(self) -> contextlib.AbstractContextManager[Any]:
        raise NotImplementedError

    def client_argv(self, tool: str) -> list[str]:
        raise NotImplementedError

    def _failed(self, reason: str) -> DriverError:
        raise NotImplementedError

    def create_site_database(self, database: str, secret: str, *, user: str | None = None) -> None:
        """Database `database`, and its user (`user`, by default `database`)@localhost with `secret`, allowed on
        that database and on the user's own databases only (`naming.grant_patterns`)."""
        user = user or database
        with self.cursor() as cur:
            cur.execute(
                f"CREATE DATABASE IF NOT EXISTS {naming.quote_identifier(database)} "
                "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
            )
            cur.execute("CREATE USER IF NOT EXISTS %s@'localhost' IDENTIFIED BY %s", (user, secret))
            cur.execute("ALTER USER %s@'localhost' IDENTIFIED BY %s", (user, secret))
            for pattern in naming.grant_patterns(user):
                target = pattern.replace("%", "%%")  # the driver formats the query with %-style parameters
                cur.execute(f"GRANT ALL PRIVILEGES ON {target}.* TO %s@'localhost'", (user,))

    def recreate_database(self, database: str) -> None:
        name = naming.quote_identifier(database)
        with self.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {name}")
            cur.execute(f"CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")

    def drop_database(self, database: str) -> None:
        with self.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {naming.quote_identifier(database)}")

    def drop_site_database(self, database: str) -> None:
        with self.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {naming.quote_identifier(database)}")
            cur.execute("DROP USER IF EXISTS %s@'localhost'", (database,))

    def connections_to(self, database: str) -> int:
        """How many client connections have `database` as their current database (a request still running on it)."""
        with self.cursor() as cur:
            cur.execute("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = %s", (database,))
            row = cur.fetchone()
            return int(row[0]) if row else 0

    def database_exists(self, database: str) -> bool:
        with self.cursor() as cur:
            cur.execute("SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s", (database,))
            return cur.fetchone() is not None

    def _dump_argv(self, database: str) -> list[str]:
        return [*self.client_argv("mariadb-dump"), "--single-transaction", "--hex-blob", "--skip-lock-tables",
                "--default-character-set=utf8mb4", "--routines", "--triggers", database]

    def dump(self, database: str, out: Path) -> None:
        argv = self._dump_argv(database)
        with open_private(out) as sink:  # a dump holds password hashes and every post
            done = subprocess.run(
                argv, stdout=sink, stderr=subprocess.PIPE, timeout=600, check=False, stdin=subprocess.DEVNULL
            )
        if done.returncode != 0:
            raise self._failed(f"mariadb-dump of {database} failed: {done.stderr.decode(errors='replace')[-300:]}")

    def load(self, database: str, sql: Path) -> None:
        argv = [*self.client_argv("mariadb"), "--default-character-set=utf8mb4", database]
        with open(sql, "rb") as source:
            done = subprocess.run(argv, stdin=source, capture_output=True, timeout=600, check=False)
        if done.returncode != 0:
            said = done.stderr.decode(errors="replace")[-300:]
            raise self._failed(f"loading the dump into {database} failed: {said}")

    def copy_database(self, source: str, target: str) -> None:
        """`mariadb-dump source | mariadb target`, streamed (no file in between)."""
        dump = subprocess.Popen(
            self._dump_argv(source),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
        )
        assert dump.stdout is not None
        load = subprocess.run(
            [*self.client_argv("mariadb"), "--default-character-set=utf8mb4", target],
            stdin=dump.stdout,
            capture_output=True,
            timeout=600,
            check=False,
        )
        dump.stdout.close()
        dump_error = dump.stderr.read() if dump.stderr else b""
        if dump.wait(timeout=600) != 0 or load.returncode != 0:
            said = (dump_error or load.stderr).decode(errors="replace")[-300:]
            raise self._failed(f"copying database {source} to {target} failed: {said}")
