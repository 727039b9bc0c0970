"""SQS adapter of the job queue: a standard queue whose redrive policy moves a job to the DLQ after 3 receives."""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable, Sequence
from typing import Any

from botocore.exceptions import ClientError

from bbws.core.boto import LazyClient
from bbws.core.queue import MAX_RECEIVES, DeadLetter, Delivery, Job, JobQueue
from bbws.core.store import ItemStore
from bbws.jobs.keys import job_error_key

log = logging.getLogger("bbws.queue")

BATCH = 10  # SQS takes and returns at most 10 messages per call
MAX_DELAY_SECONDS = 900  # the longest DelaySeconds SQS accepts
MAX_VISIBILITY_SECONDS = 43_200  # the longest visibility timeout SQS accepts
DLQ_RETENTION_SECONDS = 14 * 86_400
ERROR_TTL_SECONDS = 14 * 86_400  # as long as a dead letter can live
PEEK_SECONDS = 30  # how long a DLQ listing hides what it has seen, so the next receive returns new messages
PEEK_CAP = 1000  # the most DLQ messages one listing walks
_SEND_ATTEMPTS = 5


Held = tuple[Job, dict[str, Any]]  # a dead-lettered job and the SQS message that carries it


def create_queues(client: Any, name: str = "bbws-jobs", env: str = "dev") -> tuple[str, str]:
    """Create (or find) `{name}-{env}` and its DLQ `{name}-dlq-{env}` with the redrive policy; return both URLs."""
    dlq_url = client.create_queue(
        QueueName=f"{name}-dlq-{env}", Attributes={"MessageRetentionPeriod": str(DLQ_RETENTION_SECONDS)}
    )["QueueUrl"]
    dlq_arn = client.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    policy = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(MAX_RECEIVES)})
    queue_url = client.create_queue(
        QueueName=f"{name}-{env}", Attributes={"RedrivePolicy": policy, "VisibilityTimeout": "300"}
    )["QueueUrl"]
    return queue_url, dlq_url


def _seconds(value: float, ceiling: int) -> int:
    """SQS counts whole seconds: round a delay up (never deliver early) and keep it within the API's limit."""
    return max(0, min(ceiling, math.ceil(value)))


def _attributes(job: Job) -> dict[str, Any]:
    attrs = {"job": job.name, "tenantId": job.tenant_id}
    if job.operation_id:
        attrs["operationId"] = job.operation_id
    return {k: {"DataType": "String", "StringValue": v} for k, v in attrs.items()}


def _job_of(message: dict[str, Any]) -> Job:
    """The job a message carries; a body that is not one (sent by hand, say) still shows up in the DLQ."""
    try:
        return Job.from_dict(json.loads(message["Body"]))
    except (ValueError, KeyError, TypeError, AttributeError):
        attrs = message.get("MessageAttributes", {})
        return Job(
            name=attrs.get("job", {}).get("StringValue", "Unreadable"),
            tenant_id=attrs.get("tenantId", {}).get("StringValue", ""),
            payload={"body": str(message.get("Body", ""))[:4000]},
            message_id=message["MessageId"],
        )


class SqsQueue(JobQueue):
    """`send/receive/ack/retry` map onto SQS calls one to one; the DLQ tools work around what SQS cannot do
    (see `dead_letters`). A standard queue may deliver a message twice, so handlers stay idempotent."""

    def __init__(
        self,
        queue_url: str,
        dlq_url: str,
        *,
        client: Any | None = None,
        region: str = "af-south-1",
        endpoint_url: str | None = None,
        errors_store: ItemStore | None = None,
        wait_seconds: int = 0,
        max_receives: int = MAX_RECEIVES,
    ) -> None:
        self.queue_url, self.dlq_url = queue_url, dlq_url
        self.region, self.endpoint_url = region, endpoint_url
        self.errors_store, self.wait_seconds, self.max_receives = errors_store, wait_seconds, max_receives
        self._clients = LazyClient("sqs", region=region, endpoint_url=endpoint_url, client=client)

    @property
    def _client(self) -> Any:
        return self._clients.get()

    # -- the queue
    def send(self, jobs: Sequence[Job], *, delay_seconds: float = 0) -> None:
        self._send_to(self.queue_url, list({j.message_id: j for j in jobs}.values()), delay_seconds)

    def _send_to(self, url: str, jobs: list[Job], delay_seconds: float = 0) -> None:
        delay = _seconds(delay_seconds, MAX_DELAY_SECONDS)
        for start in range(0, len(jobs), BATCH):
            pending = {
                str(i): {
                    "Id": str(i),
                    "MessageBody": json.dumps(job.to_dict()),
                    "DelaySeconds": delay,
                    "MessageAttributes": _attributes(job),
                }
                for i, job in enumerate(jobs[start : start + BATCH])
            }
            for attempt in range(_SEND_ATTEMPTS):
                failed = self._client.send_message_batch(QueueUrl=url, Entries=list(pending.values())).get("Failed")
                pending = {f["Id"]: pending[f["Id"]] for f in failed or ()}
                if not pending:
                    break
                time.sleep(min(0.05 * 2**attempt, 1.0))
            else:
                raise RuntimeError(f"SQS refused {len(pending)} message(s) after {_SEND_ATTEMPTS} attempts")

    def receive(
        self, *, max_messages: int = 1, visibility_timeout: float = 60.0, holder: str | None = None
    ) -> list[Delivery]:
        # `holder` is not kept: SQS cannot tell who holds a message. A dead worker's job comes back when the
        # short visibility its worker kept renewing (`extend`) runs out.
        response = self._client.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=max(1, min(BATCH, max_messages)),
            VisibilityTimeout=_seconds(visibility_timeout, MAX_VISIBILITY_SECONDS),
            WaitTimeSeconds=self.wait_seconds,
            AttributeNames=["ApproximateReceiveCount"],
        )
        deliveries = []
        for m in response.get("Messages", []):
            try:
                job = Job.from_dict(json.loads(m["Body"]))
            except (ValueError, KeyError, TypeError, AttributeError):
                # Not a job: left alone, it returns after the timeout and its third receive takes it to the DLQ.
                log.error("unreadable message on the job queue", extra={"sqsMessageId": m.get("MessageId")})
                continue
            receives = int(m["Attributes"]["ApproximateReceiveCount"])
            deliveries.append(Delivery(job=job, receipt=m["ReceiptHandle"], receives=receives))
        return deliveries

    def ack(self, delivery: Delivery) -> None:
        try:
            self._client.delete_message(QueueUrl=self.queue_url, ReceiptHandle=delivery.receipt)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ReceiptHandleIsInvalid":
                raise
            log.warning("ack came too late; the job will be delivered again", extra={"job": delivery.job.name})

    def retry(self, delivery: Delivery, *, error: str, delay_seconds: float) -> None:
        self._record_error(delivery, error)
        # On its last receive the job becomes visible at once: the next receive lets the redrive policy move it.
        last = delivery.receives >= self.max_receives
        self._client.change_message_visibility(
            QueueUrl=self.queue_url,
            ReceiptHandle=delivery.receipt,
            VisibilityTimeout=0 if last else _seconds(delay_seconds, MAX_VISIBILITY_SECONDS),
        )

    def extend(self, deliveries: Sequence[Delivery], seconds: float) -> None:
        visibility = _seconds(seconds, MAX_VISIBILITY_SECONDS)
        for start in range(0, len(deliveries), BATCH):
            entries = [
                {"Id": str(i), "ReceiptHandle": d.receipt, "VisibilityTimeout": visibility}
                for i, d in enumerate(deliveries[start : start + BATCH])
            ]
            # Per-entry failures are expected: a message deleted (acked) or redelivered meanwhile has a stale handle.
            failed = self._client.change_message_visibility_batch(QueueUrl=self.queue_url, Entries=entries).get(
                "Failed"
            )
            if failed:
                log.info("lease not renewed for settled jobs", extra={"count": len(failed)})

    def _record_error(self, delivery: Delivery, error: str) -> None:
        if self.errors_store is None:
            return
        pk, sk = job_error_key(delivery.job.message_id)
        now = time.time()
        self.errors_store.put(
            {
                "pk": pk,
                "sk": sk,
                "type": "jobError",
                "messageId": delivery.job.message_id,
                "tenantId": delivery.job.tenant_id,
                "error": error[:4000],
                "receives": delivery.receives,
                "at": now,
                "ttl": int(now + ERROR_TTL_SECONDS),
            }
        )

    def depth(self) -> dict[str, int]:
        names = [
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed",
        ]
        main, dead = (
            {
                k: int(v)
                for k, v in self._client.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"].items()
            }
            for url in (self.queue_url, self.dlq_url)
        )
        return {
            "visible": main.get(names[0], 0),
            "inFlight": main.get(names[1], 0) + main.get(names[2], 0),
            "dead": sum(dead.values()),
        }

    # -- the DLQ
    def _peek(self, keep: Callable[[Job], bool], *, enough: int = PEEK_CAP) -> tuple[list[Held], dict[str, str]]:
        """Walk the DLQ: receive with a short visibility (so each receive brings new messages) and keep what
        `keep` selects, until `enough` are kept. Returns them and every message held (id -> receipt), which
        the caller hands to `_release` once done."""
        held: dict[str, str] = {}
        kept: list[Held] = []
        try:
            while len(held) < PEEK_CAP and len(kept) < enough:
                messages = self._client.receive_message(
                    QueueUrl=self.dlq_url,
                    MaxNumberOfMessages=BATCH,
                    VisibilityTimeout=PEEK_SECONDS,
                    AttributeNames=["All"],
                    MessageAttributeNames=["All"],
                ).get("Messages", [])
                fresh = [m for m in messages if m["MessageId"] not in held]
                if not fresh:
                    break
                for message in fresh:
                    held[message["MessageId"]] = message["ReceiptHandle"]
                    job = _job_of(message)
                    if keep(job):
                        kept.append((job, message))
        except BaseException:
            self._release(held)
            raise
        return kept, held

    def _release(self, held: dict[str, str]) -> None:
        """Make held DLQ messages visible again at once."""
        handles = list(held.values())
        for start in range(0, len(handles), BATCH):
            entries = [
                {"Id": str(i), "ReceiptHandle": h, "VisibilityTimeout": 0}
                for i, h in enumerate(handles[start : start + BATCH])
            ]
            self._client.change_message_visibility_batch(QueueUrl=self.dlq_url, Entries=entries)

    def _dead(self, job: Job, message: dict[str, Any]) -> DeadLetter:
        attrs = message.get("Attributes", {})
        sent = int(attrs.get("SentTimestamp", "0")) / 1000
        record = self.errors_store.get(*job_error_key(job.message_id)) if self.errors_store else None
        if record is None:
            # Only the redrive policy puts messages here, so the job was received max_receives times.
            return DeadLetter(job, self.max_receives, None, sent, sent)
        return DeadLetter(job, int(record["receives"]), record["error"], float(record["at"]), sent)

    def dead_letters(self, *, limit: int = 100, after: str | None = None) -> list[DeadLetter]:
        """Dead-lettered jobs, ordered by message id, after `after`.

        SQS cannot list a queue without receiving from it, so this walks the DLQ: it receives up to
        PEEK_CAP messages with a short visibility timeout (a plain VisibilityTimeout=0 peek returns the same
        first messages on every call, so it cannot page), then makes them all visible again. Limits that
        follow: each listing costs one receive per 10 messages and reads the whole DLQ (up to PEEK_CAP), the
        order and `after` are applied here rather than by SQS, and two listings running at the same moment
        may each miss what the other holds for those seconds. The reason comes from the side record kept by
        `retry` (`errors_store`); without one it is unknown (None).
        """
        kept, held = self._peek(lambda j: j.message_id > (after or ""))
        self._release(held)
        found = [self._dead(job, message) for job, message in kept]
        return sorted(found, key=lambda d: d.job.message_id)[: max(0, limit)]

    def dead_letter(self, message_id: str) -> DeadLetter | None:
        kept, held = self._peek(lambda j: j.message_id == message_id, enough=1)
        self._release(held)
        return self._dead(*kept[0]) if kept else None

    def _take(self, message_ids: Sequence[str] | None, *, move: bool) -> int:
        """Delete the selected dead letters (all, or these), first sending them back to the queue if `move`."""
        wanted = None if message_ids is None else set(message_ids)
        done = 0
        while wanted is None or len(wanted) > 0:
            kept, held = self._peek(
                lambda j: wanted is None or j.message_id in wanted, enough=PEEK_CAP if wanted is None else len(wanted)
            )
            try:
                for job, message in kept:
                    if move:
                        self._send_to(self.queue_url, [job])  # a new message: its receive count starts again
                    self._client.delete_message(QueueUrl=self.dlq_url, ReceiptHandle=message["ReceiptHandle"])
                    del held[message["MessageId"]]
                    done += 1
                    if wanted is not None:
                        wanted.discard(job.message_id)
            finally:
                self._release(held)
            # One walk finds every wanted id that is there; "all" walks again until the DLQ is empty.
            if not kept or wanted is not None:
                break
        return done

    def redrive(self, message_ids: Sequence[str] | None = None) -> int:
        """Send dead letters back to the queue. Receive + send + delete rather than StartMessageMoveTask:
        it also serves "these ids", reports how many moved, and runs wherever the SQS API does."""
        return self._take(message_ids, move=True)

    def purge_dead_letters(self, message_ids: Sequence[str] | None = None) -> int:
        if message_ids is not None:
            return self._take(message_ids, move=False)
        count = self.depth()["dead"]
        self._client.purge_queue(QueueUrl=self.dlq_url)
        return count
