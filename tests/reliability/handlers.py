"""The job the kill tests run: one idempotent, audited effect per job, and a record of every attempt.

Keys live under the job's tenant: `EFFECT#{messageId}` (the effect, written once, guarded by NOT_EXISTS),
`APPLIED#{messageId}#{id}` (one per committed application, in the effect's transaction, so a second
application would show as a second item) and `ATTEMPT#{messageId}#{id}` (one per delivery that reached the
handler, written on its own).
"""

from __future__ import annotations

import contextlib
import os
import random
import time
from typing import Any

from bbws.core.changes import Actor, Changes
from bbws.core.handlers import Handler, JobContext
from bbws.core.ids import new_id
from bbws.core.queue import Job
from bbws.core.store import NOT_EXISTS, ConditionFailed

JOB = "ReliabilityEffect"
ACTION = "effect.applied"
FAILURE = "planned failure of"


def effect_key(job: Job) -> tuple[str, str]:
    return f"TENANT#{job.tenant_id}", f"EFFECT#{job.message_id}"


def _pause() -> None:
    # Handlers take a little while, so kills land before and after the effect's commit, not only between jobs.
    time.sleep(random.uniform(0.01, 0.04))


def apply_effect(job: Job, ctx: JobContext) -> dict[str, Any]:
    """Write the job's effect and its event once; a redelivered job finds the effect and only reports."""
    store, clock = ctx.container.store, ctx.container.clock
    pk, sk = effect_key(job)
    store.put({"pk": pk, "sk": f"ATTEMPT#{job.message_id}#{new_id('att')}", "type": "attempt"})
    if job.payload.get("fail"):
        raise RuntimeError(f"{FAILURE} {job.message_id}")
    _pause()
    if store.get(pk, sk) is None:
        changes = Changes(actor=Actor(sub="reliability", request_id=f"job:{job.message_id}"), now=clock.now())
        effect = {"pk": pk, "sk": sk, "type": "effect", "messageId": job.message_id, "tenantId": job.tenant_id}
        changes.put(effect, NOT_EXISTS)  # guards: an effect applied twice fails here instead of overwriting
        changes.put({"pk": pk, "sk": f"APPLIED#{job.message_id}#{new_id('app')}", "type": "applied"})
        changes.audit(
            tenant_id=job.tenant_id, action=ACTION, resource_type="effect", resource_id=job.message_id, after=effect
        )
        with contextlib.suppress(ConditionFailed):  # another delivery of this job applied it meanwhile
            changes.commit(store)
    _pause()
    return {"message": "Effect applied.", "messageId": job.message_id}


SLOW_JOB = "ReliabilitySlow"


def run_slowly(job: Job, ctx: JobContext) -> dict[str, Any]:
    """A long job: its first attempt runs for `payload.seconds` (long enough to be killed in), later attempts
    finish at once. Each attempt records when it started and in which process."""
    store = ctx.container.store
    pk, _ = effect_key(job)
    earlier = store.query(pk, sk_prefix=f"ATTEMPT#{job.message_id}#", limit=10).items
    store.put({"pk": pk, "sk": f"ATTEMPT#{job.message_id}#{new_id('att')}", "type": "attempt",
               "at": time.time(), "pid": os.getpid()})
    if not earlier:
        time.sleep(float(job.payload.get("seconds", 60)))
    return {"message": "Ran.", "attempts": len(earlier) + 1}


HANDLERS: dict[str, Handler] = {JOB: apply_effect, SLOW_JOB: run_slowly}
