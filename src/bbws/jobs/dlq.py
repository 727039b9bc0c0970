"""Dead-letter tools for platform admins: list, show, redrive and purge jobs that ran out of retries."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from bbws.core.changes import Actor, Changes
from bbws.core.clock import Clock
from bbws.core.errors import NotFound
from bbws.core.queue import DeadLetter, JobQueue
from bbws.core.store import ConditionFailed, ItemStore, version_is
from bbws.jobs import operations as ops

log = logging.getLogger("bbws.dlq")

REDRIVEN_MESSAGE = "Redriven from the DLQ."
REDRIVE_BATCH = 500


def dead_letter_not_found(message_ids: Sequence[str]) -> NotFound:
    listed = ", ".join(message_ids)
    return NotFound(
        f"No dead-lettered job {listed} was found.", code="DEAD_LETTER_NOT_FOUND", messageIds=list(message_ids)
    )


def list_dead_letters(*, queue: JobQueue, limit: int, after: str | None) -> tuple[list[DeadLetter], bool]:
    """One page of dead letters in message-id order, and whether more follow."""
    letters = queue.dead_letters(limit=limit + 1, after=after)
    return letters[:limit], len(letters) > limit


def get_dead_letter(*, queue: JobQueue, message_id: str) -> DeadLetter:
    letter = queue.dead_letter(message_id)
    if letter is None:
        raise dead_letter_not_found([message_id])
    return letter


def _existing(queue: JobQueue, message_ids: Sequence[str] | None) -> list[DeadLetter] | None:
    """The named dead letters (all of them must exist), or None when none are named."""
    if message_ids is None:
        return None
    found = {m: queue.dead_letter(m) for m in dict.fromkeys(message_ids)}
    missing = [m for m, letter in found.items() if letter is None]
    if missing:
        raise dead_letter_not_found(missing)
    return [letter for letter in found.values() if letter is not None]


def _all_dead(queue: JobQueue) -> list[DeadLetter]:
    letters: list[DeadLetter] = []
    while batch := queue.dead_letters(limit=500, after=letters[-1].job.message_id if letters else None):
        letters.extend(batch)
    return letters


def redrive(*, queue: JobQueue, store: ItemStore, clock: Clock, actor: Actor, message_ids: Sequence[str] | None) -> int:
    """Put dead letters (these, or all) back on the queue; their FAILED operations go back to PENDING first,
    so the worker, which skips finished operations, runs them again and keeps them true."""
    letters = _existing(queue, message_ids)
    if letters is None:
        letters = _all_dead(queue)
    for letter in letters:
        _reopen_operation(store=store, clock=clock, actor=actor, letter=letter)
    ids = [letter.job.message_id for letter in letters]
    # Only the letters whose operations were reopened: one dead-lettered meanwhile waits for the next redrive.
    count = sum(queue.redrive(ids[i : i + REDRIVE_BATCH]) for i in range(0, len(ids), REDRIVE_BATCH))
    log.info("dead letters redriven", extra={"count": count, "by": actor.sub})
    return count


def _reopen_operation(*, store: ItemStore, clock: Clock, actor: Actor, letter: DeadLetter) -> None:
    op = ops.get_operation(store, letter.job.operation_id) if letter.job.operation_id else None
    if op is None or op["status"] != ops.OperationStatus.FAILED:
        return
    changes = Changes(actor=actor, now=clock.now())
    reopened = {
        **op,
        "status": ops.OperationStatus.PENDING.value,
        "progress": 0,
        "message": REDRIVEN_MESSAGE,
        "error": None,
        "completedAt": None,
        "version": op["version"] + 1,
    }
    changes.put(reopened, version_is(op["version"]))  # guards: a concurrent redrive reopens it once
    changes.audit(
        tenant_id=op["tenantId"],
        action="operation.redriven",
        resource_type="operation",
        resource_id=op["operationId"],
        before=op,
        after=reopened,
    )
    try:
        changes.commit(store)
    except ConditionFailed:
        log.info("operation changed during redrive; left as is", extra={"operationId": op["operationId"]})


def purge(*, queue: JobQueue, actor: Actor, message_ids: Sequence[str] | None) -> int:
    """Delete dead letters (these, or all) for good."""
    letters = _existing(queue, message_ids)
    count = queue.purge_dead_letters(None if letters is None else [letter.job.message_id for letter in letters])
    log.info("dead letters purged", extra={"count": count, "by": actor.sub})
    return count
