"""Jobs into a changeset (events go in through `Changes.audit`/`emit`), and the relay that hands both on."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from bbws.core.changes import OUTBOX_SHARDS, Changes
from bbws.core.events import Event
from bbws.core.keys import outbox_pk
from bbws.core.queue import Job, JobQueue
from bbws.core.store import Delete, Item, ItemStore

log = logging.getLogger("bbws.outbox")

def enqueue(changes: Changes, job: Job) -> None:
    """Add a job to the changeset; it reaches the queue only if the change commits."""
    changes.outbox(kind="job", tenant_id=job.tenant_id, message_id=job.message_id, body=job.to_dict())


Publisher = Callable[[Sequence[Event]], None]


class Relay:
    """Moves committed outbox items on: jobs to the queue, events to the publishers; then deletes them.
    A crash between handing on and deleting hands the same item on again (at least once)."""

    def __init__(self, *, store: ItemStore, queue: JobQueue, publishers: Sequence[Publisher] = ()) -> None:
        self.store, self.queue, self.publishers = store, queue, list(publishers)

    def drain(self, *, limit: int = 100) -> int:
        moved = 0
        for shard in range(OUTBOX_SHARDS):
            page = self.store.query(outbox_pk(shard), limit=limit)
            moved += self.hand_on(page.items)
        return moved

    def hand_on(self, items: Sequence[Item]) -> int:
        """Send these outbox items on (jobs to the queue, events to every publisher), then delete them.
        The DynamoDB-stream relay on AWS comes here too, with the items of its stream records."""
        if not items:
            return 0
        jobs = [Job.from_dict(i["body"]) for i in items if i["kind"] == "job"]
        events = [Event.from_envelope(i["body"]) for i in items if i["kind"] == "event"]
        if jobs:
            self.queue.send(jobs)
        for publish in self.publishers:
            if events:
                publish(events)
        done = [Delete(i["pk"], i["sk"]) for i in items]
        for start in range(0, len(done), 100):
            self.store.transact(done[start:start + 100])
        return len(items)
