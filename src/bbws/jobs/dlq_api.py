"""Admin routes over the dead-letter queue: list, show, redrive, purge (platform admins: `admin:dlq`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from bbws.core.deps import ActorDep, Authz, Ctr, Pages
from bbws.core.errors import ValidationFailed
from bbws.core.pagination import render_page
from bbws.core.router import api_router
from bbws.core.schemas import Link, RequestModel, page_of
from bbws.core.store import Page
from bbws.jobs import dlq
from bbws.jobs.views import dead_letter_public

router = api_router("Admin")

MESSAGE_ID_PATTERN = r"^msg_[0-9a-z]{26}$"
MessageId = Annotated[str, Path(pattern=MESSAGE_ID_PATTERN, description="Message id of the job (`msg_...`).")]
PERMISSION = "admin:dlq"


class DeadLetterPublic(BaseModel):
    model_config = {"populate_by_name": True}

    messageId: str = Field(examples=["msg_01jd3m8x2v9k4q7r5t6w8y0z1a"])
    job: str = Field(examples=["TenantLifecycle"], description="The job's name (its handler).")
    tenantId: str
    operationId: str | None = None
    receives: int = Field(description="How many times a worker received it.")
    lastError: str | None = Field(None, description="Why the last attempt failed.")
    deadAt: str
    enqueuedAt: str
    links: dict[str, Link] = Field(alias="_links")


class DeadLetterDetail(DeadLetterPublic):
    payload: dict[str, Any] = Field(description="The job's arguments, as it was sent.")


class RedriveBody(RequestModel):
    messageIds: list[Annotated[str, Field(pattern=MESSAGE_ID_PATTERN)]] | None = Field(
        None, min_length=1, max_length=100, description="Dead letters to redrive; leave it out to redrive all."
    )


class RedriveResult(BaseModel):
    redriven: int = Field(description="How many jobs went back on the queue.")


class PurgeResult(BaseModel):
    purged: int = Field(description="How many dead letters were deleted.")


DeadLetterPage = page_of(DeadLetterPublic)


@router.get("/admin/dlq", response_model=DeadLetterPage, summary="List dead-lettered jobs")
def list_dlq(request: Request, ctr: Ctr, authz: Authz, pages: Pages) -> JSONResponse:
    """Jobs that failed on every try, in message-id order, with the last error and the number of tries."""
    authz.require(PERMISSION)
    start = ctr.cursors.start_of(pages.start_at, request.url.path, {})
    letters, more = dlq.list_dead_letters(
        queue=ctr.queue, limit=pages.page_size, after=start.get("messageId") if start else None
    )
    rows = [dead_letter_public(letter) for letter in letters]
    last = {"messageId": rows[-1]["messageId"]} if more and rows else None
    return render_page(
        Page(items=rows, last_key=last),
        codec=ctr.cursors,
        path=request.url.path,
        filters={},
        page_size=pages.page_size,
        render=lambda row: row,
    )


@router.get(
    "/admin/dlq/{messageId}",
    response_model=DeadLetterDetail,
    summary="Show a dead-lettered job",
    responses={404: {"description": "DEAD_LETTER_NOT_FOUND: no dead-lettered job has this message id"}},
)
def show_dlq(messageId: MessageId, ctr: Ctr, authz: Authz) -> JSONResponse:
    """One dead letter with the job's payload."""
    authz.require(PERMISSION)
    return JSONResponse(dead_letter_public(dlq.get_dead_letter(queue=ctr.queue, message_id=messageId), full=True))


@router.post(
    "/admin/dlq/redrive",
    response_model=RedriveResult,
    summary="Redrive dead-lettered jobs",
    responses={404: {"description": "DEAD_LETTER_NOT_FOUND: a named job is not in the dead-letter queue"}},
)
def redrive_dlq(ctr: Ctr, authz: Authz, actor: ActorDep, body: RedriveBody | None = None) -> JSONResponse:
    """Put the named jobs (or all) back on the queue with fresh tries. Their FAILED operations go back to
    PENDING ("Redriven from the DLQ.") and the worker runs them again."""
    authz.require(PERMISSION)
    ids = body.messageIds if body is not None else None
    count = dlq.redrive(queue=ctr.queue, store=ctr.store, clock=ctr.clock, actor=actor, message_ids=ids)
    if count:
        ctr.wake()
    return JSONResponse({"redriven": count})


@router.delete(
    "/admin/dlq",
    response_model=PurgeResult,
    summary="Purge dead-lettered jobs",
    responses={
        400: {"description": "CONFIRMATION_REQUIRED: purging every dead letter needs confirm=true (or bad input)"},
        404: {"description": "DEAD_LETTER_NOT_FOUND: a named job is not in the dead-letter queue"},
    },
)
def purge_dlq(
    ctr: Ctr,
    authz: Authz,
    actor: ActorDep,
    messageId: Annotated[
        list[Annotated[str, Field(pattern=MESSAGE_ID_PATTERN)]] | None,
        Query(max_length=100, description="Dead letters to delete (repeat it); leave it out to delete all."),
    ] = None,
    confirm: Annotated[bool, Query(description="Must be true to purge every dead letter.")] = False,
) -> JSONResponse:
    """Delete the named dead letters for good; deleting all of them needs `confirm=true`."""
    authz.require(PERMISSION)
    if not messageId and not confirm:
        raise ValidationFailed(
            "Purging the whole dead-letter queue needs confirm=true (or name the jobs with messageId=...).",
            code="CONFIRMATION_REQUIRED",
            errors=[{"field": "confirm", "message": "must be true to purge every dead letter"}],
        )
    count = dlq.purge(queue=ctr.queue, actor=actor, message_ids=messageId or None)
    return JSONResponse({"purged": count})
