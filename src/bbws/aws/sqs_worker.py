"""Lambda entry point: consumes SQS batches of jobs and reports partial batch failures (Powertools)."""

from __future__ import annotations

import logging
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from bbws.aws import container
from bbws.core.queue import Delivery, Job
from bbws.jobs.worker import RetryLater, Worker

log = logging.getLogger("bbws.aws.sqs")

# A record that fails is reported in `batchItemFailures`, even when all do: the batch itself never fails.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def record_handler(record: SQSRecord) -> None:
    """One job through the worker's own code path; raising reports the record as failed, so SQS delivers
    it again (and after the third receive its redrive policy moves it to the DLQ)."""
    c = container()
    worker = Worker(container=c, queue=c.queue, registry=c.handlers)
    delivery = Delivery(
        job=Job.from_dict(record.json_body),
        receipt=record.receipt_handle,
        receives=int(record.attributes.approximate_receive_count),
    )
    try:
        worker.handle(delivery.job, delivery.receives)
    except RetryLater as retry:
        try:  # the backoff and the reason, as the local worker records them
            c.queue.retry(delivery, error=retry.error, delay_seconds=retry.delay_seconds)
        except Exception:
            log.exception("could not delay the job; it returns after the visibility timeout")
        raise


def handler(event: dict[str, Any], context: Any) -> Any:
    if not event.get("Records"):  # the release smoke check (`bbws aws deploy`): loaded, and nothing to do
        return {"batchItemFailures": []}
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
