"""The queue adapter from settings, and the thread `bbws serve` runs its worker in (the worker itself is built by
the composition root, `bbws.app.build_worker`)."""

from __future__ import annotations

import logging
import threading

from bbws.core.queue import JobQueue
from bbws.core.settings import Settings
from bbws.core.store import ItemStore
from bbws.jobs.worker import Worker

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
