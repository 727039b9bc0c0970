"""Fails the Operations of jobs the queue dead-lettered by itself (every worker that took them died)."""

from __future__ import annotations

import time

from bbws.core.changes import Actor, Changes
from bbws.core.container import Container
from bbws.core.queue import JobQueue
from bbws.jobs import operations as ops

SWEEP_LIMIT = 1000


class DeadLetterReaper:
    """A worker tick: a job received `max_receives` times and never answered goes to the DLQ inside the queue,
    where no handler sees it; its Operation would stay IN_PROGRESS for good. Every `interval` seconds this looks
    through the DLQ and marks such Operations FAILED with the queue's reason."""

    def __init__(self, *, container: Container, queue: JobQueue, interval: float = 5.0) -> None:
        self.container, self.queue, self.interval = container, queue, interval
        self._last = float("-inf")
        self._seen: set[str] = set()

    def __call__(self) -> int:
        now = time.monotonic()
        if now - self._last < self.interval:
            return 0
        self._last, failed, examined, after = now, 0, 0, None
        if len(self._seen) > 100_000:
            self._seen.clear()  # forgetting only costs a re-check: finished operations are left alone
        while examined < SWEEP_LIMIT:
            letters = self.queue.dead_letters(limit=100, after=after)
            examined += len(letters)
            for letter in letters:
                if letter.job.message_id not in self._seen:
                    self._seen.add(letter.job.message_id)
                    failed += self.fail(letter.job.operation_id, letter.last_error)
            if len(letters) < 100:
                break
            after = letters[-1].job.message_id
        return failed

    def fail(self, operation_id: str | None, reason: str | None) -> int:
        """Fail one dead-lettered job's Operation and release what it held; 0 when it had finished already."""
        op = ops.get_operation(self.container.store, operation_id) if operation_id else None
        if op is None or op["status"] in ops.FINISHED:
            return 0
        changes = Changes(actor=Actor(sub=op.get("createdBy", "system"), request_id=op.get("requestId", "")),
                          now=self.container.clock.now())
        error = {"type": "about:blank", "title": "Job dead-lettered", "status": 500, "code": "JOB_DEAD_LETTERED",
                 "detail": reason or "The job was not acknowledged by any worker."}
        failed = ops.mark_failed(op, changes, error=error, message="Failed: the job is in the dead-letter queue.")
        ops.release(changes, self.container.store, failed, self.container.hooks.release)
        changes.commit(self.container.store)
        return 1
