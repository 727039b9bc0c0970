"""The Operation resource: one record per piece of long work, for every service (model, store access, rendering)."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from bbws.core.changes import Changes
from bbws.core.errors import Conflict
from bbws.core.hooks import ReleaseHook, ResourceNode
from bbws.core.ids import new_id
from bbws.core.keys import tenant_pk
from bbws.core.store import NOT_EXISTS, ConditionFailed, ItemStore, Page, version_is
from bbws.jobs import keys


class OperationStatus(StrEnum):
    PENDING = "PENDING"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


FINISHED = frozenset({OperationStatus.COMPLETED, OperationStatus.FAILED, OperationStatus.CANCELLED})


def operation_node(store: ItemStore, operation: dict[str, Any], nodes: Mapping[str, ResourceNode]) -> str:
    """The node path an operation's resource sits on ("" for tenant-wide resources and unknown kinds)."""
    find = nodes.get(str(operation.get("resourceType")))
    return find(store, operation) if find else ""


def start_operation(
    changes: Changes,
    *,
    tenant_id: str,
    operation_type: str,
    resource_type: str,
    resource_id: str,
    message: str = "Queued.",
) -> dict[str, Any]:
    """Add a PENDING operation to a changeset and return its item."""
    op_id = new_id("op", now_ms=int(changes.now.timestamp() * 1000))
    item: dict[str, Any] = {
        **dict(zip(("pk", "sk"), keys.operation_key(tenant_id, op_id), strict=True)),
        **keys.operation_index(op_id),
        "type": "operation",
        "operationId": op_id,
        "tenantId": tenant_id,
        "operationType": operation_type,
        "status": OperationStatus.PENDING.value,
        "progress": 0,
        "message": message,
        "resourceType": resource_type,
        "resourceId": resource_id,
        "createdAt": changes.timestamp,
        "createdBy": changes.actor.sub,
        "requestId": changes.actor.request_id,
        "startedAt": None,
        "completedAt": None,
        "result": None,
        "error": None,
        "version": 1,
    }
    changes.put(item, NOT_EXISTS)
    return item


def completed(item: dict[str, Any], changes: Changes, *, message: str, result: dict[str, Any]) -> dict[str, Any]:
    """The operation finished well (its work is written in the same changeset)."""
    return _moved(
        item,
        changes,
        status=OperationStatus.COMPLETED.value,
        progress=100,
        message=message,
        startedAt=item["startedAt"] or changes.timestamp,
        completedAt=changes.timestamp,
        result=result,
    )


def get_operation(store: ItemStore, operation_id: str) -> dict[str, Any] | None:
    page = store.query(keys.operation_index_pk(operation_id), index="GSI1", limit=1)
    return page.items[0] if page.items else None


def list_operations(
    store: ItemStore, *, tenant_id: str, limit: int, start_after: dict[str, str] | None, filters: dict[str, Any]
) -> Page:
    return store.query(
        tenant_pk(tenant_id), sk_prefix=keys.OPERATION_PREFIX, limit=limit, start_after=start_after,
        descending=True, filters=filters,
    )


def release(
    changes: Changes, store: ItemStore, ended: dict[str, Any], hooks: Mapping[str, ReleaseHook]
) -> dict[str, Any]:
    """Let the operation's resource go in the same changeset (`hooks`: resourceType -> what undoing an unfinished
    operation's hold on its resource takes, e.g. a tenant's pending mark); returns the operation. Called as the
    operation ends: CANCELLED, or FAILED by the worker or the dead-letter reaper."""
    hook = hooks.get(ended["resourceType"])
    if hook is not None:
        hook(changes, store, ended)
    return ended


def _moved(item: dict[str, Any], changes: Changes, **fields: Any) -> dict[str, Any]:
    moved = {**item, **fields, "version": item["version"] + 1}
    changes.put(moved, version_is(item["version"]))  # guards: one writer per operation step
    return moved


def mark_started(item: dict[str, Any], changes: Changes, *, message: str = "Running.") -> dict[str, Any]:
    return _moved(
        item,
        changes,
        status=OperationStatus.IN_PROGRESS.value,
        message=message,
        startedAt=item["startedAt"] or changes.timestamp,
    )


def mark_progress(item: dict[str, Any], changes: Changes, *, progress: int, message: str) -> dict[str, Any]:
    return _moved(item, changes, progress=max(0, min(99, progress)), message=message)


def mark_failed(item: dict[str, Any], changes: Changes, *, error: dict[str, Any], message: str) -> dict[str, Any]:
    return _moved(
        item,
        changes,
        status=OperationStatus.FAILED.value,
        message=message,
        error=error,
        completedAt=changes.timestamp,
        startedAt=item["startedAt"] or changes.timestamp,
    )


def mark_cancelled(item: dict[str, Any], changes: Changes) -> dict[str, Any]:
    return _moved(
        item,
        changes,
        status=OperationStatus.CANCELLED.value,
        message="Cancelled before it started.",
        completedAt=changes.timestamp,
    )


def cancel_operation(
    *, store: ItemStore, changes: Changes, operation: dict[str, Any], hooks: Mapping[str, ReleaseHook]
) -> dict[str, Any]:
    """PENDING -> CANCELLED, releasing what the operation held; anything already started is a 409."""
    if operation["status"] != OperationStatus.PENDING:
        raise Conflict(
            f"Operation {operation['operationId']} is {operation['status']}; only PENDING operations can be cancelled.",
            code="OPERATION_NOT_CANCELLABLE",
            currentStatus=operation["status"],
        )
    cancelled = release(changes, store, mark_cancelled(operation, changes), hooks)
    try:
        changes.commit(store)
    except ConditionFailed as exc:
        raise Conflict(
            "The operation started meanwhile and can no longer be cancelled.", code="OPERATION_NOT_CANCELLABLE"
        ) from exc
    return cancelled
