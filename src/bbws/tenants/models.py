"""Tenant domain: statuses, tiers, the lifecycle state machine and quotas (no I/O)."""

from __future__ import annotations

from enum import StrEnum

from bbws.core.errors import InvalidTransition


class TenantStatus(StrEnum):
    PENDING = "PENDING"
    ACTIVE = "ACTIVE"
    SUSPENDED = "SUSPENDED"
    PARKED = "PARKED"
    DEPROVISIONED = "DEPROVISIONED"
    FAILED = "FAILED"


class Tier(StrEnum):
    STANDARD = "STANDARD"
    PROFESSIONAL = "PROFESSIONAL"
    ENTERPRISE = "ENTERPRISE"


S = TenantStatus
TRANSITIONS: dict[TenantStatus, frozenset[TenantStatus]] = {
    S.PENDING: frozenset({S.ACTIVE, S.FAILED}),
    S.ACTIVE: frozenset({S.SUSPENDED, S.PARKED, S.DEPROVISIONED}),
    S.SUSPENDED: frozenset({S.ACTIVE, S.DEPROVISIONED}),
    S.PARKED: frozenset({S.ACTIVE, S.DEPROVISIONED}),
    S.FAILED: frozenset({S.PENDING}),
    S.DEPROVISIONED: frozenset(),
}


class LifecycleAction(StrEnum):
    SUSPEND = "suspend"
    RESUME = "resume"
    PARK = "park"
    UNPARK = "unpark"
    RETRY = "retry"
    DELETE = "delete"


# action -> (the status it requires, the status it leads to)
ACTIONS: dict[LifecycleAction, tuple[TenantStatus, TenantStatus]] = {
    LifecycleAction.SUSPEND: (S.ACTIVE, S.SUSPENDED),
    LifecycleAction.RESUME: (S.SUSPENDED, S.ACTIVE),
    LifecycleAction.PARK: (S.ACTIVE, S.PARKED),
    LifecycleAction.UNPARK: (S.PARKED, S.ACTIVE),
    LifecycleAction.RETRY: (S.FAILED, S.PENDING),
}

REASON_REQUIRED = frozenset({LifecycleAction.SUSPEND, LifecycleAction.PARK})

SITE_QUOTA_PER_ENVIRONMENT: dict[Tier, int] = {Tier.STANDARD: 5, Tier.PROFESSIONAL: 20, Tier.ENTERPRISE: 100}


def can_move(current: TenantStatus, target: TenantStatus) -> bool:
    return target in TRANSITIONS[current]


def target_of(action: LifecycleAction, current: TenantStatus) -> TenantStatus:
    """The status `action` leads to from `current`, or InvalidTransition (422) naming what is allowed."""
    target = S.DEPROVISIONED if action is LifecycleAction.DELETE else ACTIONS[action][1]
    allowed = action is not LifecycleAction.DELETE and ACTIONS[action][0] is current
    if action is LifecycleAction.DELETE:
        allowed = can_move(current, target)
    if not allowed:
        raise InvalidTransition(
            resource="The tenant",
            current=current.value,
            target=target.value,
            allowed=[s.value for s in TRANSITIONS[current]],
        )
    return target


# Who may run each action (the table in docs/api/authentication.md). SUSPENDED is the platform's hold (unpaid,
# abuse): only platform roles put it on or lift it; park/unpark is the tenant's own pause.
PERMISSIONS: dict[LifecycleAction, str] = {
    LifecycleAction.SUSPEND: "tenants:suspend",
    LifecycleAction.RESUME: "tenants:suspend",
    LifecycleAction.PARK: "tenants:lifecycle",
    LifecycleAction.UNPARK: "tenants:lifecycle",
    LifecycleAction.RETRY: "tenants:lifecycle",
    LifecycleAction.DELETE: "tenants:delete",
}


def permissions_for(action: LifecycleAction, current: TenantStatus) -> tuple[str, ...]:
    """What `action` needs in status `current`: deprovisioning a SUSPENDED tenant also needs the permission that
    lifts the platform's hold, so a tenant cannot leave that hold by deleting itself."""
    if action is LifecycleAction.DELETE and current is S.SUSPENDED:
        return PERMISSIONS[action], PERMISSIONS[LifecycleAction.RESUME]
    return (PERMISSIONS[action],)


def allowed_actions(current: TenantStatus) -> list[LifecycleAction]:
    """The lifecycle actions the tenant's current status allows (these become `_links`)."""
    found = [a for a, (source, _) in ACTIONS.items() if source is current]
    if can_move(current, S.DEPROVISIONED):
        found.append(LifecycleAction.DELETE)
    return found
