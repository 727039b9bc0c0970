"""The job-queue port: at-least-once delivery, visibility timeout, retries with backoff, a DLQ after 3 receives."""

from __future__ import annotations

import random
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bbws.core.ids import new_id

MAX_RECEIVES = 3
BACKOFF_BASE_SECONDS = 2.0
BACKOFF_CAP_SECONDS = 300.0


@dataclass(frozen=True)
class Job:
    """A command to run later (`ParkTenant`, `CreateSite`); the tenant id travels with every job."""

    name: str
    tenant_id: str
    payload: dict[str, Any] = field(default_factory=dict)
    operation_id: str | None = None
    message_id: str = field(default_factory=lambda: new_id("msg"))

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "tenantId": self.tenant_id,
            "payload": self.payload,
            "operationId": self.operation_id,
            "messageId": self.message_id,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Job:
        return cls(
            name=data["name"],
            tenant_id=data["tenantId"],
            payload=data.get("payload") or {},
            operation_id=data.get("operationId"),
            message_id=data["messageId"],
        )


@dataclass(frozen=True)
class Delivery:
    """One receipt of a job: ack it, or retry it with the reason."""

    job: Job
    receipt: str
    receives: int


@dataclass(frozen=True)
class DeadLetter:
    job: Job
    receives: int
    last_error: str | None
    dead_at: float
    enqueued_at: float


def backoff_seconds(
    receives: int,
    *,
    base: float = BACKOFF_BASE_SECONDS,
    cap: float = BACKOFF_CAP_SECONDS,
    rng: random.Random | None = None,
) -> float:
    """Exponential backoff with full jitter: uniform(0, min(cap, base * 2^(receives-1)))."""
    ceiling = min(cap, base * 2 ** max(0, receives - 1))
    return (rng or random).uniform(0, ceiling)


class JobQueue(ABC):
    """Port. Sending a message id twice delivers it once where the adapter can tell (SQLite); SQS may
    deliver twice, so handlers are idempotent either way."""

    max_receives: int = MAX_RECEIVES

    @abstractmethod
    def send(self, jobs: Sequence[Job], *, delay_seconds: float = 0) -> None:
        """Enqueue jobs."""

    @abstractmethod
    def receive(
        self, *, max_messages: int = 1, visibility_timeout: float = 60.0, holder: str | None = None
    ) -> list[Delivery]:
        """Take up to `max_messages` visible jobs; each stays invisible to others for the timeout. A job
        received `max_receives` times without an ack moves to the DLQ instead of being delivered again.
        `holder` names the worker taking them, where the adapter can record it (see `reclaim`)."""

    @abstractmethod
    def extend(self, deliveries: Sequence[Delivery], seconds: float) -> None:
        """Renew the lease of jobs still in hand: each stays invisible for `seconds` from now. A delivery
        already settled (acked, retried, taken back) is left as it is."""

    def holders(self) -> set[str]:
        """The workers holding jobs now, where the adapter records them (SQS cannot: empty)."""
        return set()

    def reclaim(self, holders: Sequence[str]) -> int:
        """Make the jobs these (dead) workers hold visible at once; returns how many. Their receipts stop
        working, so a holder judged dead that is still running cannot settle them. Adapters that cannot
        tell who holds a job leave it to its lease running out."""
        return 0

    @abstractmethod
    def ack(self, delivery: Delivery) -> None:
        """The job is done: remove it."""

    @abstractmethod
    def retry(self, delivery: Delivery, *, error: str, delay_seconds: float) -> None:
        """The job failed: record why and make it visible again after the delay (or dead-letter it when it
        has been received `max_receives` times)."""

    def ack_many(self, deliveries: Sequence[Delivery]) -> None:
        """Acknowledge several jobs at once (adapters that can, do it in one call)."""
        for delivery in deliveries:
            self.ack(delivery)

    def release(self, delivery: Delivery) -> None:
        """Hand a job back untouched (a stopping worker took it but never started it): visible again at once.
        Adapters that can, do not count this receive against the job's limit."""
        self.retry(delivery, error="handed back by a stopping worker before it started", delay_seconds=0)

    @abstractmethod
    def dead_letters(self, *, limit: int = 100, after: str | None = None) -> list[DeadLetter]:
        """Dead-lettered jobs, oldest first, after message id `after`."""

    @abstractmethod
    def dead_letter(self, message_id: str) -> DeadLetter | None:
        """One dead-lettered job."""

    @abstractmethod
    def redrive(self, message_ids: Sequence[str] | None = None) -> int:
        """Put dead-lettered jobs (all, or these) back on the queue with fresh receive counts."""

    @abstractmethod
    def purge_dead_letters(self, message_ids: Sequence[str] | None = None) -> int:
        """Delete dead-lettered jobs (all, or these)."""

    def depth(self) -> dict[str, int]:
        """Visible, in-flight and dead-lettered counts where the adapter can tell."""
        return {}


def receipt_token() -> str:
    return new_id("rcpt")
