"""Instance routes: list, create, get, update, delete, status and size (thin: parse, authorize, call, render)."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import Path, Request, Response
from fastapi.responses import JSONResponse

from bbws.core.deps import ActorDep, Authz, Ctr
from bbws.core.errors import UnprocessableEntity
from bbws.core.ids import TENANT_ID_PATTERN
from bbws.core.router import api_router, check_if_match, etag, not_modified
from bbws.core.schemas import page_of
from bbws.instances import service
from bbws.instances.models import InstanceAction, InstanceStatus
from bbws.instances.schemas import (
    INSTANCE_ID_PATTERN,
    InstanceCreate,
    InstancePublic,
    InstanceStatusPublic,
    InstanceUpdate,
    SizeBody,
    StatusAction,
)
from bbws.instances.views import instance_public, status_public
from bbws.jobs.api import accepted
from bbws.jobs.schemas import OperationPublic
from bbws.tenants.service import get_tenant

router = api_router("Instances")
log = logging.getLogger("bbws.instances")

TenantId = Annotated[str, Path(pattern=TENANT_ID_PATTERN, description="Tenant id (`ten_...`).")]
InstanceId = Annotated[str, Path(pattern=INSTANCE_ID_PATTERN, description="Instance id (`ins_...`).")]
InstancePage = page_of(InstancePublic)
BASE = "/tenants/{tenantId}/instances"
ACTION_ERRORS: dict[int | str, dict[str, Any]] = {
    409: {"description": "OPERATION_IN_PROGRESS: another operation is still running on this instance"},
    422: {"description": "INVALID_STATUS_TRANSITION, or TENANT_NOT_ACTIVE"},
}


def _load(ctr: Ctr, authz: Authz, tenant_id: str, instance_id: str, permission: str) -> dict[str, Any]:
    authz.require(permission, tenant_id=tenant_id)
    item = service.get_instance(store=ctr.store, tenant_id=tenant_id, instance_id=instance_id)
    authz.require(permission, tenant_id=tenant_id, environment=item["environment"])
    return item


def _sees_internals(authz: Authz) -> bool:
    """Host internals of an instance are shown to platform roles only."""
    return authz.principal.platform_role is not None


def _act(ctr: Ctr, actor: ActorDep, item: dict[str, Any], action: InstanceAction, **params: Any) -> JSONResponse:
    operation = service.request_change(
        store=ctr.store, clock=ctr.clock, actor=actor, instance=item, action=action, params=params
    )
    return accepted(operation, wake=ctr.wake)


@router.get(BASE, response_model=InstancePage, summary="List the tenant's instances")
def list_instances(tenantId: TenantId, request: Request, ctr: Ctr, authz: Authz) -> JSONResponse:
    """At most one per environment (dev, sit, prod), so the list is always one page."""
    authz.require("instances:read", tenant_id=tenantId)
    get_tenant(store=ctr.store, tenant_id=tenantId)
    envs = authz.principal.scoped("env")
    internals = _sees_internals(authz)
    items = [
        instance_public(i, internals=internals)
        for i in service.list_instances(store=ctr.store, tenant_id=tenantId)
        if envs is None or i["environment"] in envs
    ]
    links = {"self": {"href": str(request.url.path)}}
    return JSONResponse({"items": items, "startAt": None, "moreAvailable": False, "_links": links})


@router.post(
    BASE,
    status_code=202,
    response_model=OperationPublic,
    summary="Create an instance",
    responses={
        409: {"description": "INSTANCE_EXISTS: the tenant already has an instance in that environment"},
        422: {"description": "TENANT_NOT_ACTIVE, or UNSUPPORTED_VERSION (not installed on this runtime)"},
        503: {"description": "RUNTIME_NOT_READY: the runtime lacks PHP or WordPress, or is not configured"},
    },
)
def create_instance(tenantId: TenantId, body: InstanceCreate, ctr: Ctr, authz: Authz, actor: ActorDep) -> JSONResponse:
    """Provision the tenant's WordPress runtime for one environment. Poll the Operation (or `Location`)."""
    authz.require("instances:write", tenant_id=tenantId, environment=body.environment.value)
    tenant = get_tenant(store=ctr.store, tenant_id=tenantId)
    driver = service.ready_driver(ctr)
    operation = service.create_instance(
        store=ctr.store, clock=ctr.clock, actor=actor, tenant=tenant, data=body, versions=driver.versions(),
        runtime=driver.name,
    )
    return accepted(operation, wake=ctr.wake)


@router.get(
    BASE + "/{instanceId}",
    response_model=InstancePublic,
    summary="Get an instance",
    responses={304: {"description": "Not modified (If-None-Match)"}},
)
def get_instance(tenantId: TenantId, instanceId: InstanceId, request: Request, ctr: Ctr, authz: Authz) -> Response:
    item = _load(ctr, authz, tenantId, instanceId, "instances:read")
    shown = instance_public(item, internals=_sees_internals(authz))
    return not_modified(request, item) or JSONResponse(shown, headers={"ETag": etag(item)})


@router.put(
    BASE + "/{instanceId}",
    status_code=202,
    response_model=OperationPublic,
    summary="Update an instance (versions, size, settings)",
    responses={**ACTION_ERRORS, 412: {"description": "If-Match does not match"},
               422: {"description": "NOTHING_TO_UPDATE, UNSUPPORTED_VERSION or INVALID_STATUS_TRANSITION"}},
)
def update_instance(
    tenantId: TenantId, instanceId: InstanceId, body: InstanceUpdate, request: Request, ctr: Ctr, authz: Authz,
    actor: ActorDep,
) -> JSONResponse:
    """Change the WordPress or PHP version (only versions installed on the runtime), workers, or PHP settings."""
    item = _load(ctr, authz, tenantId, instanceId, "instances:write")
    check_if_match(request, item)
    params = body.model_dump(exclude_none=True)
    if not params:
        raise UnprocessableEntity("Send at least one field to change.", code="NOTHING_TO_UPDATE")
    if body.wordpressVersion or body.phpVersion:
        versions = service.ready_driver(ctr).versions()
        service.check_versions(versions, wordpress=body.wordpressVersion or item["wordpressVersion"],
                               php=body.phpVersion or item["phpVersion"])
    if body.settings is not None:
        params["settings"] = {**(item.get("settings") or {}), **body.settings.model_dump(exclude_none=True)}
    return _act(ctr, actor, item, InstanceAction.UPDATE, **params)


@router.delete(
    BASE + "/{instanceId}",
    status_code=202,
    response_model=OperationPublic,
    summary="Delete an instance (each site is exported first)",
    responses={**ACTION_ERRORS, 412: {"description": "If-Match does not match"}},
)
def delete_instance(
    tenantId: TenantId, instanceId: InstanceId, request: Request, ctr: Ctr, authz: Authz, actor: ActorDep
) -> JSONResponse:
    """Export each site, then remove databases, users, files and processes (DEPROVISIONED)."""
    item = _load(ctr, authz, tenantId, instanceId, "instances:write")
    check_if_match(request, item)
    return _act(ctr, actor, item, InstanceAction.DELETE)


@router.get(BASE + "/{instanceId}/status", response_model=InstanceStatusPublic, summary="Get an instance's live status")
def get_status(tenantId: TenantId, instanceId: InstanceId, ctr: Ctr, authz: Authz) -> JSONResponse:
    """Workers running now and whether the instance answers (read live from the runtime where it can be)."""
    item = _load(ctr, authz, tenantId, instanceId, "instances:read")
    driver = service.ready_driver(ctr)
    running, answering = item.get("runningCount", 0), False
    quiet = (InstanceStatus.DEPROVISIONED, InstanceStatus.PENDING_PROVISIONING)
    if driver.reports_live_status and item["status"] not in quiet:
        try:
            live = driver.status(service.spec_of(item))
            running, answering = live.running_count, live.answering
        except Exception:  # a runtime that cannot be asked is reported as not running, never as a 500
            log.warning("instance status could not be read", exc_info=True, extra={"instanceId": instanceId})
            running, answering = 0, False
    return JSONResponse(status_public(item, running=running, answering=answering))


@router.put(
    BASE + "/{instanceId}/status",
    status_code=202,
    response_model=OperationPublic,
    summary="Stop or start an instance",
    responses=ACTION_ERRORS,
)
def set_status(
    tenantId: TenantId, instanceId: InstanceId, body: StatusAction, ctr: Ctr, authz: Authz, actor: ActorDep
) -> JSONResponse:
    """`stop`: ACTIVE -> SUSPENDING -> SUSPENDED (its sites stop answering);
    `start`: SUSPENDED -> RESUMING -> ACTIVE."""
    item = _load(ctr, authz, tenantId, instanceId, "instances:operate")
    return _act(ctr, actor, item, InstanceAction(body.action))


@router.put(
    BASE + "/{instanceId}/size",
    status_code=202,
    response_model=OperationPublic,
    summary="Scale an instance",
    responses=ACTION_ERRORS,
)
def set_size(
    tenantId: TenantId, instanceId: InstanceId, body: SizeBody, ctr: Ctr, authz: Authz, actor: ActorDep
) -> JSONResponse:
    """Set the number of PHP workers (ECS tasks on AWS), 1..10: ACTIVE -> SCALING -> ACTIVE."""
    item = _load(ctr, authz, tenantId, instanceId, "instances:operate")
    return _act(ctr, actor, item, InstanceAction.SCALE, desiredCount=body.desiredCount)

