"""The worker: takes jobs off the queue, runs their handlers, keeps their Operations true, never dies of a job."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bbws.core.changes import Actor, Changes
from bbws.core.container import Container
from bbws.core.errors import ApiError
from bbws.core.handlers import HandlerRegistry, JobContext, PermanentFailure
from bbws.core.logs import request_id_var
from bbws.core.queue import Delivery, Job, JobQueue, backoff_seconds
from bbws.core.store import ConditionFailed
from bbws.jobs import operations as ops
from bbws.jobs import watchdog
from bbws.jobs.heartbeat import Beater, Heartbeats, new_worker_id

log = logging.getLogger("bbws.worker")

VISIBILITY_TIMEOUT = 300.0  # the lease of jobs taken without a heartbeat (`run_once` called directly)
RELAY_INTERVAL = 0.01
TICK_INTERVAL = 0.1


@dataclass
class Outcome:
    status: str  # completed | failed | retrying | dead | skipped
    error: str | None = None


class RetryLater(Exception):
    """The job must run again after `delay_seconds` (or, on its last receive, go to the DLQ): the queue
    records `error` with it. `outcome` is what the worker reports."""

    def __init__(self, error: str, delay_seconds: float, outcome: Outcome) -> None:
        super().__init__(error)
        self.error, self.delay_seconds, self.outcome = error, delay_seconds, outcome


def _problem(exc: BaseException) -> dict[str, Any]:
    if isinstance(exc, ApiError):
        return {k: v for k, v in exc.problem(instance="", request_id="").items() if k not in ("instance", "requestId")}
    code = exc.code if isinstance(exc, PermanentFailure) else _named_retryable(exc) or "JOB_FAILED"
    return {
        "type": "about:blank",
        "title": "Job failed",
        "status": 500,
        "code": code,
        "detail": (f"{type(exc).__name__}: {exc}" if code == "JOB_FAILED" else str(exc))[:2000],
    }


def _named_retryable(exc: BaseException) -> str | None:
    """The code of a retryable failure that names its cause (`RUNTIME_DB_UNAVAILABLE`: the runtime lost its
    database), so an Operation whose every attempt failed that way says why rather than `JOB_FAILED`."""
    code = getattr(exc, "code", None)
    named = isinstance(code, str) and code not in ("", "RUNTIME_ERROR")  # RUNTIME_ERROR: a driver's unnamed failure
    return code if named and getattr(exc, "retryable", False) else None


def _permanent(exc: BaseException) -> bool:
    """Business failures (and client errors such as an invalid transition) cannot succeed on a retry."""
    return isinstance(exc, PermanentFailure) or (isinstance(exc, ApiError) and exc.status < 500)


class Worker:
    def __init__(
        self,
        *,
        container: Container,
        queue: JobQueue,
        registry: HandlerRegistry,
        relay: Callable[[], int] | None = None,
    ) -> None:
        self.container, self.queue, self.registry, self.relay = container, queue, registry, relay
        self.stopping = threading.Event()
        self.ticks: list[Callable[[], Any]] = []
        self.wakeup = threading.Event()
        self.id = new_worker_id()
        self._held: dict[str, Delivery] = {}  # receipt -> delivery whose lease the heartbeat renews
        self._held_lock = threading.Lock()
        self._beater: Beater | None = None
        self._loop_state: watchdog.LoopState | None = None  # the loop thread `run` watches now
        self.stalled_loops = 0  # loops the watchdog replaced

    def start_heartbeat(self) -> None:
        """From now on, jobs are taken for a short lease that a heartbeat thread renews (see `Beater`)."""
        settings = self.container.settings
        self._beater = Beater(
            worker_id=self.id, queue=self.queue, heartbeats=Heartbeats(self.container.store),
            lease=settings.job_lease_seconds, interval=settings.job_heartbeat_seconds,
            in_hand=self._held.values, lock=self._held_lock, progress=self._progress_age,
            stall=settings.worker_stall_seconds,
        )
        self._beater.start()

    def stop_heartbeat(self) -> None:
        if self._beater is not None:
            self._beater.stop()
            self._beater = None

    def _drop(self, deliveries: list[Delivery]) -> None:
        """The heartbeat stops renewing these: called before a delivery is settled, so a renewal never lands
        after a retry and pushes its backoff out."""
        with self._held_lock:
            for delivery in deliveries:
                self._held.pop(delivery.receipt, None)

    def _op(self, operation_id: str | None) -> dict[str, Any] | None:
        return ops.get_operation(self.container.store, operation_id) if operation_id else None

    def _write(self, build: Callable[[Changes], Any], job_actor: str) -> Any:
        changes = Changes(actor=Actor(sub=job_actor, request_id=request_id_var.get()), now=self.container.clock.now())
        result = build(changes)
        changes.commit(self.container.store)
        return result

    def process(self, delivery: Delivery, *, done: list[Delivery] | None = None) -> Outcome:
        """Run one delivery to an outcome and settle it on the queue; exceptions of the handler never escape.
        With `done`, a settled delivery is added there for the caller to acknowledge with the rest of its batch."""
        try:
            try:
                outcome = self.handle(delivery.job, delivery.receives)
            except RetryLater as retry:
                self._drop([delivery])
                self.queue.retry(delivery, error=retry.error, delay_seconds=retry.delay_seconds)
                return retry.outcome
            if done is None:
                self.queue.ack(delivery)
            else:
                done.append(delivery)
            return outcome
        except Exception as exc:  # the bookkeeping itself failed (store down): leave the job to time out
            self._drop([delivery])
            log.exception("worker bookkeeping failed", extra={"job": delivery.job.name})
            return Outcome("retrying", str(exc))

    def handle(self, job: Job, receives: int) -> Outcome:
        """Run a job received `receives` times and keep its Operation true. Returns when the job is settled
        (ack it); raises RetryLater when it must run again or be dead-lettered, and any other exception when
        the bookkeeping failed. The local worker and the SQS Lambda consumer both come through here."""
        token = request_id_var.set(f"job:{job.message_id}")
        try:
            op = self._op(job.operation_id)
            if op is not None and op["status"] in ops.FINISHED:
                return Outcome("skipped")  # cancelled, or finished by an earlier delivery
            actor = (op or {}).get("createdBy", "system")
            if op is not None and op["status"] == ops.OperationStatus.PENDING:
                pending = op
                try:
                    op = self._write(lambda ch: ops.mark_started(pending, ch), actor)
                except ConditionFailed:  # cancelled at this very moment
                    return Outcome("skipped")
            holder: dict[str, dict[str, Any] | None] = {"op": op}

            def report(progress: int, message: str) -> None:
                watchdog.progressed()  # a job that reports its steps is not stuck, however long it runs
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
                    return Outcome("failed", self._fail(job, holder["op"], exc, actor, dead=False))
                if receives >= self.queue.max_receives:
                    detail = self._fail(job, holder["op"], exc, actor, dead=True)
                    raise RetryLater(detail, 0, Outcome("dead", detail)) from exc
                log.warning("job failed; retrying", extra={"job": job.name, "receives": receives, "error": str(exc)})
                raise RetryLater(
                    f"{type(exc).__name__}: {exc}", backoff_seconds(receives), Outcome("retrying", str(exc))
                ) from exc
            if holder["op"] is not None:
                fresh = self._op(job.operation_id) or holder["op"]
                if fresh["status"] not in ops.FINISHED:
                    self._write(
                        lambda ch: ops.completed(fresh, ch, message=result.pop("message", "Done."), result=result),
                        actor,
                    )
            return Outcome("completed")
        finally:
            request_id_var.reset(token)

    def _fail(self, job: Job, op: dict[str, Any] | None, exc: BaseException, actor: str, *, dead: bool) -> str:
        """Fail the job's Operation with the error as a problem; returns the error's detail."""
        error = _problem(exc)
        if op is not None:
            message = "Failed after retries; the job is in the dead-letter queue." if dead else "Failed."
            fresh = self._op(op["operationId"]) or op
            store = self.container.store

            def fail(ch: Changes) -> dict[str, Any]:
                return ops.release(ch, store, ops.mark_failed(fresh, ch, error=error, message=message),
                                   self.container.hooks.release)

            self._write(fail, actor)
        detail = str(error["detail"])
        if dead:
            log.error("job dead-lettered", extra={"job": job.name, "error": detail})
        return detail

    def run_once(self, *, max_messages: int = 10, relay: bool = True, ticks: bool = True) -> int:
        """Relay pending jobs, process what is visible now, run the ticks; returns how many deliveries ran."""
        if relay and self.relay is not None:
            self.relay()
        beating = self._beater is not None
        deliveries = self.queue.receive(
            max_messages=max_messages,
            visibility_timeout=self.container.settings.job_lease_seconds if beating else VISIBILITY_TIMEOUT,
            holder=self.id if beating else None,
        )
        if beating:
            with self._held_lock:
                self._held.update((d.receipt, d) for d in deliveries)
        loop = watchdog.current()
        done: list[Delivery] = []
        try:
            for index, delivery in enumerate(deliveries):
                # stopping, or replaced by the watchdog: hand back what was taken but not started
                if self.stopping.is_set() or (loop is not None and loop.halted()):
                    self._drop(deliveries[index:])
                    for untouched in deliveries[index:]:
                        self.queue.release(untouched)
                    break
                if loop is not None:
                    loop.current, loop.waiting = delivery, deliveries[index + 1 :]
                    loop.progressed()
                self.process(delivery, done=done)
        finally:
            if loop is not None:
                loop.current, loop.waiting = None, []
            self._drop(deliveries)
            self.queue.ack_many(done)  # one statement per batch instead of one per job
        if ticks:
            self.after_tick()
        return len(deliveries)

    def after_tick(self) -> None:
        """Run the periodic work: the worker's own `ticks`, and what others plug in
        (`container.after_tick`, e.g. webhook deliveries)."""
        for tick in [*self.ticks, *self.container.after_tick]:
            try:
                tick()
            except Exception:  # a failing tick (a store hiccup) must not stop the jobs
                log.exception("worker tick failed")

    def run(self, *, idle_wait: float = 0.25) -> None:
        """Loop until `stop()`; the job in hand finishes first (undelivered ones stay queued). While busy, the
        relay runs at most every RELAY_INTERVAL and the ticks every TICK_INTERVAL, not after every batch.

        The jobs run in a loop thread that this one watches: a loop that neither polls nor reports a step for
        `worker_stall_seconds` (a handler or a poll that never returns) is left behind, its job handed back
        with the reason, and a fresh loop takes over."""
        self.start_heartbeat()
        settings = self.container.settings
        try:
            loop = self._start_loop(idle_wait)
            while loop.thread is not None and loop.thread.is_alive():
                loop.thread.join(settings.job_heartbeat_seconds)
                if loop.thread.is_alive() and loop.idle_for() > settings.worker_stall_seconds:
                    self._abandon(loop)
                    if self.stopping.is_set():
                        break  # stopping: nothing left to finish
                    loop = self._start_loop(idle_wait)
        finally:
            self.stop_heartbeat()

    def _start_loop(self, idle_wait: float) -> watchdog.LoopState:
        number = self._loop_state.number + 1 if self._loop_state else 1
        loop = watchdog.LoopState(number=number)
        loop.thread = threading.Thread(target=self._loop, args=(idle_wait, loop), daemon=True,
                                       name=f"{threading.current_thread().name}-loop-{number}")
        self._loop_state = loop
        loop.thread.start()
        return loop

    def _progress_age(self) -> float | None:
        loop = self._loop_state
        return loop.idle_for() if loop is not None else None

    def _abandon(self, loop: watchdog.LoopState) -> None:
        """The watchdog's move on a stuck loop: it takes nothing more, its lease renewals stop, its job goes back
        to the queue at once with the reason (the receive counts: a job that always hangs ends in the DLQ) and the
        jobs it took but never started go back untouched."""
        loop.stop.set()
        self.stalled_loops += 1
        stuck, waiting, idle = loop.current, list(loop.waiting), loop.idle_for()
        with self._held_lock:  # only what the loop has not settled yet
            held = [d for d in ([stuck] if stuck else []) + waiting if self._held.pop(d.receipt, None) is not None]
        log.error("worker loop stalled; handing its job back and starting a fresh loop",
                  extra={"worker": self.id, "stalledForSeconds": round(idle, 1),
                         "job": stuck.job.name if stuck else None})
        reason = f"the worker running it made no progress for {idle:.0f} s (stalled); handed back"
        for delivery in held:
            try:
                if delivery is stuck:
                    self.queue.retry(delivery, error=reason, delay_seconds=0)
                else:
                    self.queue.release(delivery)
            except Exception:  # its lease is no longer renewed: it comes back when that runs out
                log.exception("a stalled loop's job could not be handed back", extra={"job": delivery.job.name})

    def _loop(self, idle_wait: float, loop: watchdog.LoopState | None = None) -> None:
        if loop is not None:
            watchdog.bind(loop)
        last_relay = last_tick = float("-inf")
        while not self.stopping.is_set() and not (loop is not None and loop.halted()):
            watchdog.progressed()
            now = time.monotonic()
            relay, ticks = now - last_relay >= RELAY_INTERVAL, now - last_tick >= TICK_INTERVAL
            last_relay, last_tick = (now if relay else last_relay), (now if ticks else last_tick)
            try:
                busy = self.run_once(max_messages=10, relay=relay, ticks=ticks)
            except Exception:
                log.exception("worker loop error")
                busy = 0
            if not busy:
                if self.wakeup.wait(idle_wait):
                    last_relay = float("-inf")  # woken by a commit: hand its jobs on at once
                self.wakeup.clear()

    def stop(self) -> None:
        self.stopping.set()
        self.wakeup.set()
