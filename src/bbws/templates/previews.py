"""Template previews: one running site per template version in the platform's preview instance, made once
and shared by everyone who asks. The preview is a fresh import of the version's archive whose administrator
password is generated and thrown away, so nobody can sign in to change it; it is rebuilt only when missing."""

from __future__ import annotations

from typing import Any

from bbws.core.changes import Actor, Changes
from bbws.core.clock import Clock
from bbws.core.errors import Conflict
from bbws.core.queue import Job
from bbws.core.store import NOT_EXISTS, ConditionFailed, ItemStore, version_is
from bbws.events.outbox import enqueue
from bbws.jobs.operations import start_operation
from bbws.templates import keys

PREVIEW_JOB = "PreviewTemplate"
PENDING, BUILDING, READY, FAILED = "PENDING", "BUILDING", "READY", "FAILED"


def get_preview(*, store: ItemStore, template_id: str, number: int) -> dict[str, Any] | None:
    return store.get(keys.PK, keys.preview_sk(template_id, number))


def site_key(template_id: str, number: int) -> str:
    return f"{template_id}-v{number}"


def site_path(slug: str, number: int) -> str:
    """Readable and unique in the preview instance: slugs are unique and never change."""
    return f"{slug}-v{number}"


def request_preview(
    *, store: ItemStore, clock: Clock, actor: Actor, template: dict[str, Any], number: int, tenant_id: str
) -> dict[str, Any]:
    """Queue the job that makes (or checks and restarts) the version's preview; returns the PENDING Operation,
    filed under `tenant_id` so the caller can follow it."""
    template_id = template["templateId"]
    changes = Changes(actor=actor, now=clock.now())
    operation = start_operation(
        changes,
        tenant_id=tenant_id,
        operation_type="TEMPLATE_PREVIEW",
        resource_type="templatePreview",
        resource_id=template_id,
    )
    existing = get_preview(store=store, template_id=template_id, number=number)
    if existing is None or existing["status"] == FAILED:
        item = {
            "pk": keys.PK,
            "sk": keys.preview_sk(template_id, number),
            "type": "templatePreview",
            "templateId": template_id,
            "slug": template["slug"],
            "number": number,
            "status": PENDING,
            "url": None,
            "siteKey": site_key(template_id, number),
            "operationId": operation["operationId"],
            "error": None,
            "createdAt": changes.timestamp,
            "readyAt": None,
            "version": existing["version"] + 1 if existing else 1,
        }
        # guards: two first requests racing (the loser's job finds the winner's preview)
        changes.put(item, version_is(existing["version"]) if existing else NOT_EXISTS)
    enqueue(
        changes,
        Job(
            name=PREVIEW_JOB,
            tenant_id=tenant_id,
            operation_id=operation["operationId"],
            payload={"templateId": template_id, "version": number},
        ),
    )
    try:
        changes.commit(store)
    except ConditionFailed as exc:
        raise Conflict(
            "The preview is being requested by someone else right now; retry.", code="OPERATION_IN_PROGRESS"
        ) from exc
    return operation


def save_preview(store: ItemStore, preview: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """Move a preview record on (no audit: previews are a shared cache, not platform state)."""
    moved = {**preview, **fields, "version": preview["version"] + 1}
    store.put(moved, condition=version_is(preview["version"]))  # guards: one writer per preview (the lease holder)
    return moved
