"""What the tenant context reads of its instances before a lifecycle action: the instance records live in the
tenant's partition (their keys are spelled in `tenants.keys`), so the rule "an instance is busy" is read here
without loading the instances context (the tenant service runs without it, as its own Lambda)."""

from __future__ import annotations

from typing import Any

from bbws.core.errors import Conflict
from bbws.core.store import ItemStore
from bbws.tenants import keys
from bbws.tenants.models import LifecycleAction

# The instance statuses of an operation under way; `instances.models.IN_FLIGHT` names the same set (a unit test
# holds them equal).
BUSY_STATUSES = frozenset({
    "PENDING_PROVISIONING", "PROVISIONING", "SCALING", "SUSPENDING", "RESUMING", "PENDING_DEPROVISIONING",
    "DEPROVISIONING", "COMMITTING", "WORKFLOW_QUEUED", "WORKFLOW_RUNNING",
})
# The tenant actions that move the tenant's instances (`instances.work.TENANT_CASCADE` has one entry for each).
MOVES_INSTANCES = frozenset({
    LifecycleAction.PARK, LifecycleAction.SUSPEND, LifecycleAction.UNPARK, LifecycleAction.RESUME,
    LifecycleAction.DELETE,
})


def refuse_while_busy(store: ItemStore, tenant: dict[str, Any], action: str) -> None:
    """A tenant action that moves instances waits until none of them is in the middle of an operation."""
    if action not in MOVES_INSTANCES:
        return
    # at most one instance per environment: one small query, no paging needed
    for item in store.query(keys.tenant_pk(tenant["tenantId"]), sk_prefix=keys.INSTANCE_PREFIX, limit=10).items:
        if item["status"] in BUSY_STATUSES or item.get("pendingOperationId"):
            raise Conflict(
                f"Instance {item['instanceId']} ({item['environment']}) is {item['status']}; "
                "retry when its operation has finished.",
                code="OPERATION_IN_PROGRESS",
                instanceId=item["instanceId"],
            )
