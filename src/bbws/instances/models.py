"""Instance domain: environments, statuses, the state machine, actions and the ECS event mapping (no I/O)."""

from __future__ import annotations

from enum import StrEnum

from bbws.core.errors import InvalidTransition


class Environment(StrEnum):
    DEV = "dev"
    SIT = "sit"
    PROD = "prod"


class InstanceStatus(StrEnum):
    PENDING_PROVISIONING = "PENDING_PROVISIONING"
    COMMITTING = "COMMITTING"
    WORKFLOW_QUEUED = "WORKFLOW_QUEUED"
    WORKFLOW_RUNNING = "WORKFLOW_RUNNING"
    WORKFLOW_FAILED = "WORKFLOW_FAILED"
    PROVISIONING = "PROVISIONING"
    ACTIVE = "ACTIVE"
    SCALING = "SCALING"
    SUSPENDING = "SUSPENDING"
    SUSPENDED = "SUSPENDED"
    RESUMING = "RESUMING"
    PENDING_DEPROVISIONING = "PENDING_DEPROVISIONING"
    DEPROVISIONING = "DEPROVISIONING"
    DEPROVISIONED = "DEPROVISIONED"
    FAILED = "FAILED"


S = InstanceStatus
_GITOPS_IN_FLIGHT = frozenset({S.COMMITTING, S.WORKFLOW_QUEUED, S.WORKFLOW_RUNNING})
TRANSITIONS: dict[InstanceStatus, frozenset[InstanceStatus]] = {
    S.PENDING_PROVISIONING: frozenset({S.PROVISIONING, S.COMMITTING, S.FAILED}),
    S.COMMITTING: frozenset({S.WORKFLOW_QUEUED, S.FAILED}),
    S.WORKFLOW_QUEUED: frozenset({S.WORKFLOW_RUNNING, S.PROVISIONING, S.ACTIVE, S.WORKFLOW_FAILED, S.FAILED}),
    S.WORKFLOW_RUNNING: frozenset({S.PROVISIONING, S.ACTIVE, S.WORKFLOW_FAILED, S.FAILED}),
    S.WORKFLOW_FAILED: frozenset({S.COMMITTING, S.PROVISIONING, S.PENDING_DEPROVISIONING}),
    S.PROVISIONING: frozenset({S.ACTIVE, S.COMMITTING, S.FAILED}),
    S.ACTIVE: frozenset({S.SCALING, S.SUSPENDING, S.PROVISIONING, S.COMMITTING, S.PENDING_DEPROVISIONING, S.FAILED}),
    S.SCALING: frozenset({S.ACTIVE, S.FAILED}),
    S.SUSPENDING: frozenset({S.SUSPENDED, S.FAILED}),
    S.SUSPENDED: frozenset({S.RESUMING, S.PENDING_DEPROVISIONING}),
    S.RESUMING: frozenset({S.ACTIVE, S.FAILED}),
    S.PENDING_DEPROVISIONING: frozenset({S.DEPROVISIONING}),
    S.DEPROVISIONING: frozenset({S.DEPROVISIONED, S.FAILED}),
    S.DEPROVISIONED: frozenset(),
    S.FAILED: frozenset({S.PROVISIONING, S.COMMITTING, S.PENDING_DEPROVISIONING, S.ACTIVE, S.SCALING}),
}

# States an operation is still working through: a new action on the instance waits (409) until it settles.
IN_FLIGHT = frozenset(
    {S.PENDING_PROVISIONING, S.PROVISIONING, S.SCALING, S.SUSPENDING, S.RESUMING, S.PENDING_DEPROVISIONING}
    | {S.DEPROVISIONING}
    | _GITOPS_IN_FLIGHT
)
# States in which the instance's PHP workers should be serving (what `bbws serve` restores on start).
SHOULD_RUN = frozenset({S.ACTIVE, S.SCALING, S.RESUMING, S.PROVISIONING})


class InstanceAction(StrEnum):
    """What a caller can ask of an instance; each is one operation."""

    PROVISION = "provision"
    UPDATE = "update"
    STOP = "stop"
    START = "start"
    SCALE = "scale"
    DELETE = "delete"


A = InstanceAction
# action -> (statuses it may start from, the status the instance shows while the operation runs)
ACTIONS: dict[InstanceAction, tuple[frozenset[InstanceStatus], InstanceStatus]] = {
    A.UPDATE: (frozenset({S.ACTIVE, S.FAILED, S.WORKFLOW_FAILED}), S.PROVISIONING),
    A.STOP: (frozenset({S.ACTIVE}), S.SUSPENDING),
    A.START: (frozenset({S.SUSPENDED}), S.RESUMING),
    A.SCALE: (frozenset({S.ACTIVE}), S.SCALING),
    A.DELETE: (frozenset({S.ACTIVE, S.SUSPENDED, S.FAILED, S.WORKFLOW_FAILED}), S.PENDING_DEPROVISIONING),
}
# action -> the status a settled (synchronous) driver leaves the instance in
SETTLED: dict[InstanceAction, InstanceStatus] = {
    A.PROVISION: S.ACTIVE,
    A.UPDATE: S.ACTIVE,
    A.STOP: S.SUSPENDED,
    A.START: S.ACTIVE,
    A.SCALE: S.ACTIVE,
    A.DELETE: S.DEPROVISIONED,
}
# action -> the status while a GitOps driver waits for its workflow and ECS (the event handler settles it)
AWAITING: dict[InstanceAction, InstanceStatus] = {
    A.PROVISION: S.WORKFLOW_QUEUED,
    A.UPDATE: S.WORKFLOW_QUEUED,
    A.STOP: S.SUSPENDING,
    A.START: S.RESUMING,
    A.SCALE: S.SCALING,
    A.DELETE: S.DEPROVISIONED,
}

MIN_DESIRED, MAX_DESIRED = 1, 10


def working_status(action: InstanceAction, *, gitops: bool) -> InstanceStatus | None:
    """The status shown once the worker takes the job (None: the request's in-flight status stays)."""
    if action in (A.PROVISION, A.UPDATE) and gitops:
        return S.COMMITTING
    if action is A.PROVISION:
        return S.PROVISIONING
    if action is A.DELETE:
        return S.DEPROVISIONING
    return None


def can_move(current: InstanceStatus, target: InstanceStatus) -> bool:
    return target in TRANSITIONS[current]


def check_action(action: InstanceAction, current: InstanceStatus) -> InstanceStatus:
    """The status the instance shows while `action` runs, or InvalidTransition (422) naming what is allowed."""
    sources, target = ACTIONS[action]
    if current not in sources:
        raise InvalidTransition(
            resource="The instance",
            current=current.value,
            target=target.value,
            allowed=[a.value for a in allowed_actions(current)],
            action=action.value,
        )
    return target


def allowed_actions(current: InstanceStatus) -> list[InstanceAction]:
    """The actions the current status allows (these become `_links`)."""
    return [a for a, (sources, _) in ACTIONS.items() if current in sources]


# ECS EventBridge `detail.eventName` -> instance status. AWS sends the deployment
# events as `SERVICE_DEPLOYMENT_*`; `ecs_events.EVENT_ALIASES` maps them onto these names.
ECS_EVENT_STATUS: dict[str, InstanceStatus] = {
    "SERVICE_STEADY_STATE": S.ACTIVE,
    "SERVICE_TASK_START_IMPAIRED": S.FAILED,
    "SERVICE_DESIRED_COUNT_UPDATED": S.SCALING,
    "DEPLOYMENT_IN_PROGRESS": S.PROVISIONING,
    "DEPLOYMENT_COMPLETED": S.ACTIVE,
    "DEPLOYMENT_FAILED": S.FAILED,
}
