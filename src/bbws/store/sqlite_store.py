"""SQLite adapter of the item store: one WAL file, one table with the generic index columns."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bbws.core.files import FILE_MODE, make_private, private_dir
from bbws.core.store import (
    INDEXES,
    Check,
    Condition,
    ConditionFailed,
    Delete,
    Item,
    ItemStore,
    Key,
    Op,
    Page,
    Put,
    is_expired,
    key_of,
    matches,
)

_INDEX_COLUMNS = [f"{i.lower()}{part}" for i in INDEXES for part in ("pk", "sk")]

SCHEMA = (
    f"""
CREATE TABLE IF NOT EXISTS items (
  pk TEXT NOT NULL,
  sk TEXT NOT NULL,
  {", ".join(f"{c} TEXT" for c in _INDEX_COLUMNS)},
  ttl INTEGER,
  data TEXT NOT NULL,
  PRIMARY KEY (pk, sk)
) WITHOUT ROWID;
"""
    + "".join(
        f"CREATE INDEX IF NOT EXISTS {i.lower()} ON items ({i.lower()}pk, {i.lower()}sk, pk, sk)"
        f" WHERE {i.lower()}pk IS NOT NULL;\n"
        for i in INDEXES
    )
    + "CREATE INDEX IF NOT EXISTS items_ttl ON items (ttl) WHERE ttl IS NOT NULL;\n"
)


def _row_values(item: Item) -> tuple[Any, ...]:
    index_values = []
    for name in INDEXES:
        index_values += [item.get(f"{name}PK"), item.get(f"{name}SK")]
    ttl = item.get("ttl")
    return (
        item["pk"],
        item["sk"],
        *index_values,
        int(ttl) if ttl is not None else None,
        json.dumps(item, separators=(",", ":")),
    )


def prepare_database_file(path: str) -> None:
    """Make the database file owner-only before SQLite opens it: it holds every tenant's records and webhook
    secrets, and SQLite creates its -wal and -shm files with the database file's mode.

    An existing file is only chmod-ed, never opened: closing any descriptor of a SQLite file drops every POSIX
    lock this process holds on it, which would let another connection's writer in mid-transaction."""
    if path == ":memory:":
        return
    file = Path(path)
    private_dir(file.parent)
    try:
        os.close(os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    except FileExistsError:
        make_private(file)


def thread_connection(local: threading.local, path: str) -> sqlite3.Connection:
    """This thread's connection to `path` (autocommit, WAL, waiting on locks): the store and the queue share it."""
    conn: sqlite3.Connection | None = getattr(local, "conn", None)
    if conn is None:
        conn = sqlite3.connect(path, isolation_level=None, timeout=30)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA busy_timeout=30000")
        local.conn = conn
    return conn


class SqliteStore(ItemStore):
    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        self._local = threading.local()
        self._counts: Counter[str] = Counter()
        prepare_database_file(self.path)
        self.ensure_schema()

    # -- connection handling: one connection per thread, WAL so readers never block the writer
    def _conn(self) -> sqlite3.Connection:
        return thread_connection(self._local, self.path)

    @contextmanager
    def write_transaction(self) -> Iterator[sqlite3.Connection]:
        """A `BEGIN IMMEDIATE` transaction; other writers of the same file wait (the job queue shares it)."""
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def ensure_schema(self) -> None:
        self._conn().executescript(SCHEMA)

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def counters(self) -> dict[str, int]:
        return dict(self._counts)

    # -- reads
    def _load(self, row: tuple[str] | None, now: float) -> Item | None:
        if row is None:
            return None
        item: Item = json.loads(row[0])
        return None if is_expired(item, now) else item

    def get(self, pk: str, sk: str) -> Item | None:
        self._counts["get"] += 1
        row = self._conn().execute("SELECT data FROM items WHERE pk=? AND sk=?", (pk, sk)).fetchone()
        return self._load(row, time.time())

    def batch_get(self, keys: Sequence[tuple[str, str]]) -> list[Item]:
        self._counts["batch_get"] += 1
        now, found = time.time(), []
        conn = self._conn()
        for pk, sk in keys:
            item = self._load(conn.execute("SELECT data FROM items WHERE pk=? AND sk=?", (pk, sk)).fetchone(), now)
            if item is not None:
                found.append(item)
        return found

    def query(
        self,
        pk: str,
        *,
        sk_prefix: str = "",
        index: str | None = None,
        limit: int = 100,
        start_after: Key | None = None,
        descending: bool = False,
        filters: Mapping[str, Any] | None = None,
    ) -> Page:
        self._counts["query"] += 1
        if index is not None and index not in INDEXES:
            raise ValueError(f"unknown index {index}")
        pcol, scol = (f"{index.lower()}pk", f"{index.lower()}sk") if index else ("pk", "sk")
        order_cols = [scol, "pk", "sk"] if index else ["sk"]
        where, args = [f"{pcol} = ?"], [pk]
        if sk_prefix:
            # Prefix as a range, so the index serves it: [prefix, prefix + U+10FFFF).
            where.append(f"{scol} >= ? AND {scol} < ?")
            args += [sk_prefix, sk_prefix + "\U0010ffff"]
        if start_after:
            after = [start_after[f"{index}SK"], start_after["pk"], start_after["sk"]] if index else [start_after["sk"]]
            op = "<" if descending else ">"
            where.append(f"({', '.join(order_cols)}) {op} ({', '.join('?' * len(after))})")
            args += after
        direction = "DESC" if descending else "ASC"
        sql = (
            f"SELECT data FROM items WHERE {' AND '.join(where)} "
            f"ORDER BY {', '.join(c + ' ' + direction for c in order_cols)} LIMIT ?"
        )
        rows = self._conn().execute(sql, [*args, limit + 1]).fetchall()
        raw: list[Item] = [json.loads(r[0]) for r in rows]
        more = len(raw) > limit
        raw = raw[:limit]
        now = time.time()
        items = [it for it in raw if not is_expired(it, now) and matches(it, filters)]
        return Page(items=items, last_key=key_of(raw[-1], index) if more and raw else None, read=len(raw))

    # -- writes
    def _check(self, conn: sqlite3.Connection, pk: str, sk: str, cond: Condition | None, index: int | None) -> None:
        if cond is None:
            return
        row = conn.execute("SELECT data FROM items WHERE pk=? AND sk=?", (pk, sk)).fetchone()
        current = self._load(row, time.time())
        ok = {
            "not_exists": current is None,
            "exists": current is not None,
            "version": current is not None and current.get("version") == cond.version,
        }[cond.kind]
        if not ok:
            raise ConditionFailed(pk, sk, index)

    def _apply(self, conn: sqlite3.Connection, op: Op, index: int | None) -> None:
        if isinstance(op, Put):
            self._check(conn, op.item["pk"], op.item["sk"], op.condition, index)
            cols = ["pk", "sk", *_INDEX_COLUMNS, "ttl", "data"]
            conn.execute(
                f"INSERT OR REPLACE INTO items ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                _row_values(op.item),
            )
        elif isinstance(op, Delete):
            self._check(conn, op.pk, op.sk, op.condition, index)
            conn.execute("DELETE FROM items WHERE pk=? AND sk=?", (op.pk, op.sk))
        elif isinstance(op, Check):
            self._check(conn, op.pk, op.sk, op.condition, index)

    def put(self, item: Item, *, condition: Condition | None = None) -> None:
        self._counts["put"] += 1
        with self.write_transaction() as conn:
            self._apply(conn, Put(item, condition), None)

    def delete(self, pk: str, sk: str, *, condition: Condition | None = None) -> None:
        self._counts["delete"] += 1
        with self.write_transaction() as conn:
            self._apply(conn, Delete(pk, sk, condition), None)

    def transact(self, ops: Sequence[Op]) -> None:
        self._counts["transact"] += 1
        if len(ops) > 100:
            raise ValueError("a transaction holds at most 100 operations")
        with self.write_transaction() as conn:
            for i, op in enumerate(ops):
                self._apply(conn, op, i)

    def purge_expired(self) -> int:
        """Delete expired items (DynamoDB does this itself through its TTL setting)."""
        with self.write_transaction() as conn:
            return conn.execute("DELETE FROM items WHERE ttl IS NOT NULL AND ttl <= ?", (int(time.time()),)).rowcount

    def bulk_load(self, items: Sequence[Item]) -> None:
        """Seed many items in one transaction, unguarded (benchmarks and imports)."""
        cols = ["pk", "sk", *_INDEX_COLUMNS, "ttl", "data"]
        with self.write_transaction() as conn:
            conn.executemany(
                f"INSERT OR REPLACE INTO items ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                [_row_values(it) for it in items],
            )
