"""The worker: takes jobs off the queue, runs their handlers, keeps their Operations true, never dies of a job."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bbws.core.changes import Actor, Changes
from bbws.core.errors import ApiError
from bbws.core.logs import request_id_var
from bbws.jobs import operations as ops
from bbws.jobs.queue import Delivery, JobQueue, backoff_seconds
from bbws.jobs.registry import HandlerRegistry, JobContext, PermanentFailure
from bbws.store.port import ConditionFailed

log = logging.getLogger("bbws.worker")

VISIBILITY_TIMEOUT = 300.0


@dataclass
class Outcome:
    status: str  # completed | failed | retrying | dead | skipped
    error: str | None = None


def _problem(exc: BaseException) -> dict[str, Any]:
    if isinstance(exc, ApiError):
        return {k: v for k, v in exc.problem(instance="", request_id="").items() if k not in ("instance", "requestId")}
    return {
        "type": "about:blank",
        "title": "Job failed",
        "status": 500,
        "code": "JOB_FAILED",
        "detail": f"{type(exc).__name__}: {exc}"[:2000],
    }


def _permanent(exc: BaseException) -> bool:
    """Business failures (and client errors such as an invalid transition) cannot succeed on a retry."""
    return isinstance(exc, PermanentFailure) or (isinstance(exc, ApiError) and exc.status < 500)


class Worker:
    def __init__(
        self, *, container: Any, queue: JobQueue, registry: HandlerRegistry, relay: Callable[[], int] | None = None
    ) -> None:
        self.container, self.queue, self.registry, self.relay = container, queue, registry, relay
        self.stopping = threading.Event()
        self.wakeup = threading.Event()

    def _op(self, operation_id: str | None) -> dict[str, Any] | None:
        return ops.get_operation(self.container.store, operation_id) if operation_id else None

    def _write(self, build: Callable[[Changes], Any], job_actor: str) -> Any:
        changes = Changes(actor=Actor(sub=job_actor, request_id=request_id_var.get()), now=self.container.clock.now())
        result = build(changes)
        changes.commit(self.container.store)
        return result

    def process(self, delivery: Delivery) -> Outcome:
        """Run one delivery to an outcome; exceptions of the handler never escape."""
        job = delivery.job
        token = request_id_var.set(f"job:{job.message_id}")
        try:
            op = self._op(job.operation_id)
            if op is not None and op["status"] in ops.FINISHED:
                self.queue.ack(delivery)  # cancelled, or finished by an earlier delivery
                return Outcome("skipped")
            actor = (op or {}).get("createdBy", "system")
            if op is not None and op["status"] == ops.OperationStatus.PENDING:
                pending = op
                try:
                    op = self._write(lambda ch: ops.mark_started(pending, ch), actor)
                except ConditionFailed:  # cancelled at this very moment
                    self.queue.ack(delivery)
                    return Outcome("skipped")
            holder: dict[str, dict[str, Any] | None] = {"op": op}

            def report(progress: int, message: str) -> None:
                current = holder["op"]
                if current is not None:
                    holder["op"] = self._write(
                        lambda ch: ops.mark_progress(current, ch, progress=progress, message=message), actor
                    )

            try:
                handler = self.registry.handler_for(job.name)
                result = handler(job, JobContext(container=self.container, report=report, operation=op)) or {}
            except Exception as exc:
                if _permanent(exc):
                    return self._fail(delivery, holder["op"], exc, actor, dead=False)
                if delivery.receives >= self.queue.max_receives:
                    return self._fail(delivery, holder["op"], exc, actor, dead=True)
                log.warning(
                    "job failed; retrying", extra={"job": job.name, "receives": delivery.receives, "error": str(exc)}
                )
                self.queue.retry(
                    delivery, error=f"{type(exc).__name__}: {exc}", delay_seconds=backoff_seconds(delivery.receives)
                )
                return Outcome("retrying", str(exc))
            if holder["op"] is not None:
                fresh = self._op(job.operation_id) or holder["op"]
                if fresh["status"] not in ops.FINISHED:
                    self._write(
                        lambda ch: ops.completed(fresh, ch, message=result.pop("message", "Done."), result=result),
                        actor,
                    )
            self.queue.ack(delivery)
            return Outcome("completed")
        except Exception as exc:  # the bookkeeping itself failed (store down): leave the job to time out
            log.exception("worker bookkeeping failed", extra={"job": job.name})
            return Outcome("retrying", str(exc))
        finally:
            request_id_var.reset(token)

    def _fail(
        self, delivery: Delivery, op: dict[str, Any] | None, exc: BaseException, actor: str, *, dead: bool
    ) -> Outcome:
        error = _problem(exc)
        if op is not None:
            message = "Failed after retries; the job is in the dead-letter queue." if dead else "Failed."
            fresh = self._op(op["operationId"]) or op
            self._write(lambda ch: ops.mark_failed(fresh, ch, error=error, message=message), actor)
        if dead:
            self.queue.retry(delivery, error=str(error["detail"]), delay_seconds=0)
            log.error("job dead-lettered", extra={"job": delivery.job.name, "error": error["detail"]})
            return Outcome("dead", str(error["detail"]))
        self.queue.ack(delivery)
        return Outcome("failed", str(error["detail"]))

    def run_once(self, *, max_messages: int = 10) -> int:
        """Relay pending jobs, then process what is visible now; returns how many deliveries ran."""
        if self.relay is not None:
            self.relay()
        deliveries = self.queue.receive(max_messages=max_messages, visibility_timeout=VISIBILITY_TIMEOUT)
        for delivery in deliveries:
            self.process(delivery)
            if self.stopping.is_set():
                break
        return len(deliveries)

    def run(self, *, idle_wait: float = 0.25) -> None:
        """Loop until `stop()`; the job in hand finishes first (undelivered ones stay queued)."""
        while not self.stopping.is_set():
            try:
                busy = self.run_once(max_messages=1)
            except Exception:
                log.exception("worker loop error")
                busy = 0
            if not busy:
                self.wakeup.wait(idle_wait)
                self.wakeup.clear()

    def stop(self) -> None:
        self.stopping.set()
        self.wakeup.set()
