"""Wiring of long work: the queue adapter from settings, the relay, and a worker (in a thread or a process)."""

from __future__ import annotations

import logging
import threading
from typing import Any

from bbws.core.settings import Settings
from bbws.events.outbox import Relay
from bbws.jobs.queue import JobQueue
from bbws.jobs.reaper import DeadLetterReaper
from bbws.jobs.registry import registry
from bbws.jobs.worker import Worker
from bbws.store.port import ItemStore

log = logging.getLogger("bbws.worker")


def build_queue(settings: Settings, *, store: ItemStore | None = None) -> JobQueue:
    """The queue adapter; on SQS, `store` keeps each job's last error (SQS cannot keep it on the message)."""
    if settings.queue == "sqs":
        from bbws.jobs.sqs_queue import SqsQueue

        if not settings.sqs_queue_url or not settings.sqs_dlq_url:
            raise ValueError("BBWS_QUEUE=sqs needs BBWS_SQS_QUEUE_URL and BBWS_SQS_DLQ_URL")
        return SqsQueue(
            settings.sqs_queue_url,
            settings.sqs_dlq_url,
            region=settings.aws_region,
            endpoint_url=settings.aws_endpoint_url,
            errors_store=store,
        )
    from bbws.jobs.sqlite_queue import SqliteQueue

    # Beside a SQLite store the queue shares its file (one transaction can hold both); beside DynamoDB it has its own.
    path = settings.sqlite_path if settings.store == "sqlite" else settings.data_dir / "queue.sqlite3"
    return SqliteQueue(path)


def load_handlers() -> None:
    """Import the modules that register job handlers (one registry for every queue adapter)."""
    import bbws.instances.work
    import bbws.sites.work
    import bbws.templates.work
    import bbws.tenants.lifecycle  # noqa: F401


def build_worker(container: Any) -> Worker:
    load_handlers()
    relay = Relay(store=container.store, queue=container.queue, publishers=container.extras.get("publishers", ()))
    worker = Worker(container=container, queue=container.queue, registry=registry, relay=relay.drain)
    worker.ticks.append(DeadLetterReaper(container=container, queue=container.queue))
    return worker


class WorkerThread:
    """The worker `bbws serve` runs beside the API; `stop()` lets the job in hand finish."""

    def __init__(self, worker: Worker) -> None:
        self.worker = worker
        self._thread = threading.Thread(target=worker.run, name="bbws-worker", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self.worker.stop()
        self._thread.join(timeout)
        if self._thread.is_alive():
            log.warning("worker still busy at shutdown; its job returns to the queue when the next worker starts")
