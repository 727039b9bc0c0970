"""Lambda entry point for the dead-letter queue: fails the Operation of every job SQS moved to the DLQ after its
last receive, and releases what it held (`jobs.reaper`).

Two triggers, one outcome. Invoked by the DLQ-depth alarm (through its SNS topic) or a schedule, it sweeps the
DLQ without consuming it: the messages stay for `bbws dlq list`, `redrive` and `purge`. Invoked as the DLQ's
event source, SQS hands it the dead letters themselves and deletes those it handled, so the DLQ tools no
longer see them; each job's Operation (failed with the job's last error) and its error record are what is left.
"""

from __future__ import annotations

import logging
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from bbws.aws import container
from bbws.core.queue import Job
from bbws.jobs.keys import job_error_key
from bbws.jobs.reaper import DeadLetterReaper

log = logging.getLogger("bbws.aws.dlq")
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def record_handler(record: SQSRecord) -> None:
    """Fail the Operation of one dead letter, with the last error its job's deliveries recorded."""
    c = container()
    job = Job.from_dict(record.json_body)
    error = c.store.get(*job_error_key(job.message_id))
    DeadLetterReaper(container=c, queue=c.queue).fail(job.operation_id, (error or {}).get("error"))


def handler(event: dict[str, Any], context: Any) -> Any:
    """One sweep of the DLQ, or the dead letters SQS hands over; a finished Operation is left alone."""
    if any(r.get("eventSource") == "aws:sqs" for r in event.get("Records") or []):
        return process_partial_response(event=event, record_handler=record_handler, processor=processor,
                                        context=context)
    c = container()
    failed = DeadLetterReaper(container=c, queue=c.queue)()
    log.info("dead letters swept: %d operations failed", failed)
    return {"failed": failed}
