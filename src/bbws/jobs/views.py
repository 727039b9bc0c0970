"""How operations are shown to their tenant's users, and dead-lettered jobs to platform admins (the job, its last
error and `_links` to act on it)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bbws.core.clock import iso
from bbws.core.links import act, href, links
from bbws.core.queue import DeadLetter
from bbws.jobs.operations import OperationStatus


def _when(epoch: float) -> str:
    return iso(datetime.fromtimestamp(epoch, UTC))


def dead_letter_public(letter: DeadLetter, *, full: bool = False) -> dict[str, Any]:
    job = letter.job
    body: dict[str, Any] = {
        "messageId": job.message_id,
        "job": job.name,
        "tenantId": job.tenant_id,
        "operationId": job.operation_id,
        "receives": letter.receives,
        "lastError": letter.last_error,
        "deadAt": _when(letter.dead_at),
        "enqueuedAt": _when(letter.enqueued_at),
    }
    if full:
        body["payload"] = job.payload
    body["_links"] = links(
        self=href("admin", "dlq", job.message_id),
        collection=href("admin", "dlq"),
        operation=href("operations", job.operation_id) if job.operation_id else None,
        tenant=href("tenants", job.tenant_id),
        redrive=act(href("admin", "dlq", "redrive")),
        purge=act(f"{href('admin', 'dlq')}?messageId={job.message_id}", "DELETE"),
    )
    return body


def operation_public(item: dict[str, Any]) -> dict[str, Any]:
    op_id, tenant_id = item["operationId"], item["tenantId"]
    body = {
        k: item.get(k)
        for k in (
            "operationId",
            "tenantId",
            "operationType",
            "status",
            "progress",
            "message",
            "resourceType",
            "resourceId",
            "createdAt",
            "createdBy",
            "startedAt",
            "completedAt",
            "result",
            "error",
        )
    }
    body["_links"] = links(
        self=href("operations", op_id),
        tenant=href("tenants", tenant_id),
        resource=_resource_href(item),
        cancel=act(href("operations", op_id, "cancel")) if item["status"] == OperationStatus.PENDING else None,
    )
    return body


# resourceType -> the path of that resource under its tenant
RESOURCE_PATHS: dict[str, str] = {"instance": "instances", "site": "sites"}


def _resource_href(item: dict[str, Any]) -> str | None:
    kind = item.get("resourceType")
    if kind == "tenant":
        return href("tenants", item["resourceId"])
    if kind == "template":  # platform-owned: not under a tenant
        return href("templates", item["resourceId"])
    if kind == "templatePreview":
        return href("templates", item["resourceId"], "preview")
    if kind in RESOURCE_PATHS:
        return href("tenants", item["tenantId"], RESOURCE_PATHS[kind], item["resourceId"])
    return None
