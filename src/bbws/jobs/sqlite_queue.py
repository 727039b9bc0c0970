"""SQLite adapter of the job queue: a table in the platform's SQLite file, claimed with UPDATE ... RETURNING."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from bbws.core.queue import MAX_RECEIVES, DeadLetter, Delivery, Job, JobQueue, receipt_token
from bbws.store.sqlite_store import prepare_database_file, thread_connection

SWEEP_SECONDS = 1.0

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
  message_id TEXT PRIMARY KEY,
  queue TEXT NOT NULL,
  body TEXT NOT NULL,
  visible_at REAL NOT NULL,
  enqueued_at REAL NOT NULL,
  receives INTEGER NOT NULL DEFAULT 0,
  receipt TEXT,
  last_error TEXT,
  dead_at REAL,
  holder TEXT
);
CREATE INDEX IF NOT EXISTS jobs_ready ON jobs (queue, visible_at) WHERE dead_at IS NULL;
DROP INDEX IF EXISTS jobs_spent;
CREATE INDEX IF NOT EXISTS jobs_dead ON jobs (queue, message_id) WHERE dead_at IS NOT NULL;
"""


class SqliteQueue(JobQueue):
    def __init__(self, path: Path | str, *, queue: str = "jobs", max_receives: int = MAX_RECEIVES) -> None:
        self.path, self.queue, self.max_receives = str(path), queue, max_receives
        self._local = threading.local()
        self._last_sweep = float("-inf")
        prepare_database_file(self.path)
        self._conn().executescript(SCHEMA)
        self._add_holder_column()

    def _add_holder_column(self) -> None:
        """Files made before leases followed their workers have no `holder` column yet."""
        conn = self._conn()
        if "holder" not in {row[1] for row in conn.execute("PRAGMA table_info(jobs)")}:
            try:
                conn.execute("ALTER TABLE jobs ADD COLUMN holder TEXT")
            except sqlite3.OperationalError as exc:  # another process added it first
                if "duplicate column" not in str(exc):
                    raise

    def _conn(self) -> sqlite3.Connection:
        return thread_connection(self._local, self.path)

    def send(self, jobs: Sequence[Job], *, delay_seconds: float = 0) -> None:
        now = time.time()
        rows = [(j.message_id, self.queue, json.dumps(j.to_dict()), now + delay_seconds, now) for j in jobs]
        # INSERT OR IGNORE: a message id already queued (a relay retried after a crash) is delivered once.
        sql = "INSERT OR IGNORE INTO jobs (message_id, queue, body, visible_at, enqueued_at) VALUES (?,?,?,?,?)"
        if len(rows) == 1:
            self._conn().execute(sql, rows[0])  # the common case; executemany costs more for one row
        else:
            self._conn().executemany(sql, rows)

    def receive(
        self, *, max_messages: int = 1, visibility_timeout: float = 60.0, holder: str | None = None
    ) -> list[Delivery]:
        conn, now = self._conn(), time.time()
        # One statement, atomic by itself: claim the oldest visible jobs that still have receives left.
        rows = conn.execute(
            "UPDATE jobs SET visible_at=?, receives=receives+1, receipt=? || message_id, holder=? "
            "WHERE message_id IN (SELECT message_id FROM jobs WHERE queue=? AND dead_at IS NULL "
            "AND visible_at<=? AND receives<? ORDER BY visible_at LIMIT ?) RETURNING body, receipt, receives",
            (now + visibility_timeout, receipt_token() + ":", holder, self.queue, now, self.max_receives,
             max_messages),
        ).fetchall()
        if len(rows) < max_messages or now - self._last_sweep >= SWEEP_SECONDS:
            self._sweep(conn, now)
        return [Delivery(Job.from_dict(json.loads(b)), r, n) for b, r, n in rows]

    def _sweep(self, conn: sqlite3.Connection, now: float) -> None:
        """Jobs received max_receives times and never acked (their workers died) go to the DLQ. Done when the
        queue runs dry or once a second, not on every receive: it is a scan of the spent jobs."""
        self._last_sweep = now
        conn.execute(
            "UPDATE jobs SET dead_at=?, last_error=COALESCE(last_error, 'not acknowledged within the "
            "visibility timeout') WHERE queue=? AND dead_at IS NULL AND receives>=? AND visible_at<=?",
            (now, self.queue, self.max_receives, now),
        )

    def ack(self, delivery: Delivery) -> None:
        # Guarded by the receipt: a worker whose visibility ran out cannot delete a job redelivered to another.
        self._conn().execute(
            "DELETE FROM jobs WHERE message_id=? AND receipt=?", (delivery.job.message_id, delivery.receipt)
        )

    def retry(self, delivery: Delivery, *, error: str, delay_seconds: float) -> None:
        now = time.time()
        dead = delivery.receives >= self.max_receives
        self._conn().execute(
            "UPDATE jobs SET visible_at=?, last_error=?, dead_at=?, holder=NULL WHERE message_id=? AND receipt=?",
            (now + delay_seconds, error[:4000], now if dead else None, delivery.job.message_id, delivery.receipt),
        )

    def ack_many(self, deliveries: Sequence[Delivery]) -> None:
        if deliveries:
            # One statement for the batch, found by primary key; each row still guarded by its receipt.
            marks = ",".join("?" * len(deliveries))
            self._conn().execute(
                f"DELETE FROM jobs WHERE message_id IN ({marks}) AND receipt IN ({marks})",
                [d.job.message_id for d in deliveries] + [d.receipt for d in deliveries],
            )

    def release(self, delivery: Delivery) -> None:
        # The receive is taken back too: a job handed back on its last receive must not be dead-lettered for it.
        self._conn().execute(
            "UPDATE jobs SET visible_at=?, receives=MAX(receives-1, 0), receipt=NULL, holder=NULL "
            "WHERE message_id=? AND receipt=?",
            (time.time(), delivery.job.message_id, delivery.receipt),
        )

    def extend(self, deliveries: Sequence[Delivery], seconds: float) -> None:
        if deliveries:
            # Guarded by the receipt: a job already redelivered to another worker keeps that worker's lease.
            self._conn().executemany(
                "UPDATE jobs SET visible_at=? WHERE message_id=? AND receipt=? AND dead_at IS NULL",
                [(time.time() + seconds, d.job.message_id, d.receipt) for d in deliveries],
            )

    def holders(self) -> set[str]:
        rows = self._conn().execute(
            "SELECT DISTINCT holder FROM jobs WHERE queue=? AND dead_at IS NULL AND visible_at>? "
            "AND holder IS NOT NULL",
            (self.queue, time.time()),
        )
        return {row[0] for row in rows}

    def reclaim(self, holders: Sequence[str]) -> int:
        if not holders:
            return 0
        marks, now = ",".join("?" * len(holders)), time.time()
        return (
            self._conn()
            .execute(
                f"UPDATE jobs SET visible_at=?, receipt=NULL, holder=NULL WHERE queue=? AND dead_at IS NULL "
                f"AND visible_at>? AND holder IN ({marks})",
                [now, self.queue, now, *holders],
            )
            .rowcount
        )

    def _dead(self, row: tuple[str, int, str | None, float, float]) -> DeadLetter:
        body, receives, error, dead_at, enqueued_at = row
        return DeadLetter(Job.from_dict(json.loads(body)), receives, error, dead_at, enqueued_at)

    def dead_letters(self, *, limit: int = 100, after: str | None = None) -> list[DeadLetter]:
        rows = (
            self._conn()
            .execute(
                "SELECT body, receives, last_error, dead_at, enqueued_at FROM jobs WHERE queue=? "
                "AND dead_at IS NOT NULL AND message_id > ? ORDER BY message_id LIMIT ?",
                (self.queue, after or "", limit),
            )
            .fetchall()
        )
        return [self._dead(r) for r in rows]

    def dead_letter(self, message_id: str) -> DeadLetter | None:
        row = (
            self._conn()
            .execute(
                "SELECT body, receives, last_error, dead_at, enqueued_at FROM jobs WHERE queue=? AND message_id=? "
                "AND dead_at IS NOT NULL",
                (self.queue, message_id),
            )
            .fetchone()
        )
        return self._dead(row) if row else None

    def _where_dead(self, message_ids: Sequence[str] | None) -> tuple[str, list[object]]:
        where, args = "queue=? AND dead_at IS NOT NULL", [self.queue]
        args_out: list[object] = list(args)
        if message_ids is not None:
            where += f" AND message_id IN ({','.join('?' * len(message_ids))})"
            args_out += list(message_ids)
        return where, args_out

    def redrive(self, message_ids: Sequence[str] | None = None) -> int:
        if message_ids is not None and not message_ids:
            return 0
        where, args = self._where_dead(message_ids)
        return (
            self._conn()
            .execute(
                f"UPDATE jobs SET dead_at=NULL, receives=0, receipt=NULL, holder=NULL, visible_at=? WHERE {where}",
                [time.time(), *args],
            )
            .rowcount
        )

    def purge_dead_letters(self, message_ids: Sequence[str] | None = None) -> int:
        if message_ids is not None and not message_ids:
            return 0
        where, args = self._where_dead(message_ids)
        return self._conn().execute(f"DELETE FROM jobs WHERE {where}", args).rowcount

    def depth(self) -> dict[str, int]:
        now = time.time()
        visible, inflight, dead = (
            self._conn()
            .execute(
                "SELECT SUM(dead_at IS NULL AND visible_at<=?), SUM(dead_at IS NULL AND visible_at>?), "
                "SUM(dead_at IS NOT NULL) FROM jobs WHERE queue=?",
                (now, now, self.queue),
            )
            .fetchone()
        )
        return {"visible": visible or 0, "inFlight": inflight or 0, "dead": dead or 0}
