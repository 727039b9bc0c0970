"""Instance use cases on the API side: read, create and request actions (each action is an Operation + a job)."""

from __future__ import annotations

from typing import Any

from bbws.core.changes import Actor, Changes
from bbws.core.clock import Clock
from bbws.core.container import Container
from bbws.core.driver import DriverError, InstanceSpec, RuntimeDriver, Versions
from bbws.core.errors import ApiError, Conflict, Hint, UnprocessableEntity, not_found
from bbws.core.ids import new_id
from bbws.core.queue import Job
from bbws.core.store import NOT_EXISTS, ConditionFailed, ItemStore, version_is
from bbws.events.outbox import enqueue
from bbws.instances.models import InstanceAction, InstanceStatus, check_action
from bbws.instances.schemas import InstanceCreate
from bbws.instances.views import audit_instance
from bbws.jobs.operations import start_operation
from bbws.tenants import keys
from bbws.tenants.models import TenantStatus
from bbws.tenants.service import get_tenant

JOB = "InstanceWork"
OPERATION_TYPES = {a: f"INSTANCE_{a.value.upper()}" for a in InstanceAction}


def list_instances(*, store: ItemStore, tenant_id: str) -> list[dict[str, Any]]:
    """A tenant has at most one instance per environment: one small query, no paging needed."""
    return store.query(keys.tenant_pk(tenant_id), sk_prefix=keys.INSTANCE_PREFIX, limit=10).items


def get_instance(*, store: ItemStore, tenant_id: str, instance_id: str) -> dict[str, Any]:
    for item in list_instances(store=store, tenant_id=tenant_id):
        if item["instanceId"] == instance_id:
            return item
    raise not_found("instance", instance_id)


def spec_of(item: dict[str, Any], *, operation_id: str = "", **changes: Any) -> InstanceSpec:
    """The driver's view of an instance record (with requested changes applied)."""
    fields = {
        "desired_count": item["desiredCount"],
        "wordpress_version": item["wordpressVersion"],
        "php_version": item["phpVersion"],
        "settings": dict(item.get("settings") or {}),
        **changes,
    }
    return InstanceSpec(
        tenant_id=item["tenantId"],
        environment=item["environment"],
        instance_id=item["instanceId"],
        resources=dict(item.get("resources") or {}),
        operation_id=operation_id,
        **fields,
    )


def create_hint(tenant_id: str, environment: str) -> Hint:
    """How to make the missing instance of an environment."""
    return Hint(
        http=f'POST /v1.0/tenants/{tenant_id}/instances {{"environment": "{environment}"}}',
        cli=f"bbws instances create --tenant {tenant_id} --env {environment}",
    )


def start_hint(item: dict[str, Any]) -> Hint:
    """How to start a stopped instance again."""
    return Hint(
        http=f'PUT /v1.0/tenants/{item["tenantId"]}/instances/{item["instanceId"]}/status {{"action": "start"}}',
        cli=f"bbws instances start --tenant {item['tenantId']} --env {item['environment']}",
    )


def require_active_tenant(tenant: dict[str, Any], *, what: str = "instances can only be created or started") -> None:
    """Instances are made or started only for an ACTIVE tenant (parked or suspended tenants keep theirs stopped)."""
    if tenant["status"] != TenantStatus.ACTIVE:
        raise UnprocessableEntity(
            f"Tenant {tenant['tenantId']} is {tenant['status']}; {what} while it is ACTIVE.",
            code="TENANT_NOT_ACTIVE",
            tenantStatus=tenant["status"],
        )


class RuntimeNotReady(ApiError):
    status, code, title = 503, "RUNTIME_NOT_READY", "The instance runtime is not ready"


def ready_driver(container: Container) -> RuntimeDriver:
    """The runtime driver for a request; one that cannot be built (a GitOps repository not configured) is a 503
    with the reason."""
    try:
        return container.runtime.get()
    except DriverError as exc:
        raise RuntimeNotReady(exc.reason) from exc


def check_versions(versions: Versions, *, wordpress: str | None, php: str | None) -> tuple[str, str]:
    """The requested versions, or the newest installed; anything not installed on this runtime is a 422."""
    if not versions.wordpress or not versions.php:
        raise RuntimeNotReady("This runtime has no WordPress or PHP installed; `bbws serve` prints what to install.")
    wordpress = wordpress or versions.default_wordpress
    php = php or versions.default_php
    for kind, wanted, available in (("WordPress", wordpress, versions.wordpress), ("PHP", php, versions.php)):
        if wanted not in available:
            raise UnprocessableEntity(
                f"{kind} {wanted} is not installed on this runtime; available: {', '.join(available) or 'none'}.",
                code="UNSUPPORTED_VERSION",
                available=list(available),
            )
    return wordpress, php


def create_instance(
    *,
    store: ItemStore,
    clock: Clock,
    actor: Actor,
    tenant: dict[str, Any],
    data: InstanceCreate,
    versions: Versions,
    runtime: str,
) -> dict[str, Any]:
    """Write the PENDING_PROVISIONING instance, its Operation and the provisioning job in one transaction."""
    require_active_tenant(tenant)
    wordpress, php = check_versions(versions, wordpress=data.wordpressVersion, php=data.phpVersion)
    tenant_id, env = tenant["tenantId"], data.environment.value
    existing = store.get(keys.tenant_pk(tenant_id), keys.instance_sk(env))
    if existing is not None and existing["status"] != InstanceStatus.DEPROVISIONED:
        raise Conflict(
            f"Tenant {tenant_id} already has an instance in {env}: {existing['instanceId']}.",
            code="INSTANCE_EXISTS",
            instanceId=existing["instanceId"],
        )
    changes = Changes(actor=actor, now=clock.now())
    instance_id = new_id("ins", now_ms=int(changes.now.timestamp() * 1000))
    operation = start_operation(
        changes,
        tenant_id=tenant_id,
        operation_type=OPERATION_TYPES[InstanceAction.PROVISION],
        resource_type="instance",
        resource_id=instance_id,
    )
    item = {
        "pk": keys.tenant_pk(tenant_id),
        "sk": keys.instance_sk(env),
        **keys.instance_indexes(tenant_id, env),
        "type": "instance",
        "instanceId": instance_id,
        "tenantId": tenant_id,
        "environment": env,
        "status": InstanceStatus.PENDING_PROVISIONING.value,
        "desiredCount": data.desiredCount,
        "runningCount": 0,
        "wordpressVersion": wordpress,
        "phpVersion": php,
        "settings": data.settings.model_dump(exclude_none=True),
        "resources": {},
        "runtime": runtime,
        "url": None,
        "lastError": None,
        "pendingOperationId": operation["operationId"],
        "createdAt": changes.timestamp,
        "createdBy": actor.sub,
        "updatedAt": changes.timestamp,
        "version": (existing["version"] + 1) if existing else 1,
    }
    # guards: two creates racing for the same tenant and environment (or one replacing a deprovisioned instance)
    changes.put(item, version_is(existing["version"]) if existing else NOT_EXISTS)
    audit_instance(changes, action="instance.created", before=None, after=item)
    _queue(changes, item, operation, InstanceAction.PROVISION, {})
    try:
        changes.commit(store)
    except ConditionFailed as exc:
        raise Conflict(f"Tenant {tenant_id} already has an instance in {env}.", code="INSTANCE_EXISTS") from exc
    return operation


def request_change(
    *, store: ItemStore, clock: Clock, actor: Actor, instance: dict[str, Any], action: InstanceAction,
    params: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An action a user asks for: a start needs the tenant ACTIVE (a parked or suspended tenant keeps its
    instances stopped; its own unpark or resume starts them, through `request_action`)."""
    if action is InstanceAction.START:
        require_active_tenant(get_tenant(store=store, tenant_id=instance["tenantId"]))
    return request_action(store=store, clock=clock, actor=actor, instance=instance, action=action, params=params)


def request_action(
    *,
    store: ItemStore,
    actor: Actor,
    instance: dict[str, Any],
    action: InstanceAction,
    params: dict[str, Any] | None = None,
    clock: Clock | None = None,
    changes: Changes | None = None,
) -> dict[str, Any]:
    """Check `action` against the instance's state now, mark the instance and queue the job; returns the
    PENDING Operation. With `changes`, the writes join that changeset (a tenant lifecycle cascade) uncommitted."""
    if instance.get("pendingOperationId"):
        raise Conflict(
            f"Operation {instance['pendingOperationId']} is still running on this instance; wait for it or cancel it.",
            code="OPERATION_IN_PROGRESS",
            operationId=instance["pendingOperationId"],
        )
    showing = check_action(action, InstanceStatus(instance["status"]))
    own = changes is None
    if changes is None:
        assert clock is not None, "a request on its own needs the clock"
        changes = Changes(actor=actor, now=clock.now())
    operation = start_operation(
        changes,
        tenant_id=instance["tenantId"],
        operation_type=OPERATION_TYPES[action],
        resource_type="instance",
        resource_id=instance["instanceId"],
    )
    marked = {
        **instance,
        "status": showing.value,
        "previousStatus": instance["status"],
        "pendingOperationId": operation["operationId"],
        "updatedAt": changes.timestamp,
        "version": instance["version"] + 1,
    }
    changes.put(marked, version_is(instance["version"]))  # guards: two actions racing for the same instance
    _queue(changes, marked, operation, action, params or {})
    if own:
        try:
            changes.commit(store)
        except ConditionFailed as exc:
            raise Conflict("The instance changed meanwhile; read it again and retry.") from exc
    return operation


def _queue(
    changes: Changes, item: dict[str, Any], operation: dict[str, Any], action: InstanceAction, params: dict[str, Any]
) -> None:
    enqueue(
        changes,
        Job(
            name=JOB,
            tenant_id=item["tenantId"],
            operation_id=operation["operationId"],
            payload={"action": action.value, "environment": item["environment"], "params": params},
        ),
    )
