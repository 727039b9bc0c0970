"""Lambda entry point: the table's DynamoDB stream -> the outbox relay (jobs to SQS, events to publishers).

The stream may carry keys only: the relay reads each `OUTBOX#` item again, so an item another relay already
handed on (and deleted) is skipped rather than sent twice.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
    DynamoDBRecord,
    DynamoDBRecordEventName,
)

from bbws.aws import container
from bbws.core.keys import OUTBOX_PREFIX
from bbws.events.outbox import Relay

processor = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)


def record_handler(record: DynamoDBRecord) -> None:
    """Hand on the outbox item a stream INSERT reports; any other record is not the relay's business."""
    if record.event_name is not DynamoDBRecordEventName.INSERT or record.dynamodb is None:
        return
    keys = record.dynamodb.keys
    if not str(keys.get("pk", "")).startswith(OUTBOX_PREFIX):
        return
    c = container()
    relay = Relay(store=c.store, queue=c.queue, publishers=c.publishers)
    relay.hand_on(c.store.batch_get([(keys["pk"], keys["sk"])]))


def handler(event: dict[str, Any], context: Any) -> Any:
    if not event.get("Records"):  # the release smoke check (`bbws aws deploy`): loaded, and nothing to do
        return {"batchItemFailures": []}
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
