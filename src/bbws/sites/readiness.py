"""Whether a promotion may go: every check the promote request makes, in one place, and the two ways to ask
(the request, which answers with the first blocker, and the dry run, which lists them all with the plan), so the
two cannot disagree."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from bbws.core.authorizer import Authorizer
from bbws.core.changes import Actor
from bbws.core.container import Container
from bbws.core.driver import DriverError
from bbws.core.errors import ApiError, Conflict, Forbidden, UnprocessableEntity
from bbws.core.settings import Settings
from bbws.core.store import ItemStore
from bbws.instances.service import ready_driver, require_active_tenant, spec_of
from bbws.sites import history, promotion, service
from bbws.sites.models import SiteAction, SiteStatus, WordPressFailed, check_action, check_promotion
from bbws.sites.records import instance_of
from bbws.tenants.service import get_tenant

T = TypeVar("T")
NO_GATE = {"required": False, "passed": True, "detail": "only SIT -> PROD reads the lookback window"}
NO_PLAN = ("tables", "files", "versions", "plugins", "theme")


@dataclass
class Readiness:
    """The target site (None: the promotion makes it), the instance a new target goes into, the health gate,
    and what stands in the way, in the order the request checks it."""

    target: dict[str, Any] | None = None
    instance: dict[str, Any] | None = None
    gate: dict[str, Any] = field(default_factory=lambda: dict(NO_GATE))
    blockers: list[ApiError] = field(default_factory=list)
    ordered: bool = True  # False: the target environment is not the next one, nothing there was looked at
    plan: dict[str, Any] = field(default_factory=lambda: dict.fromkeys(NO_PLAN))  # the dry run's, once made

    def check(self, step: Callable[[], T]) -> T | None:
        try:
            return step()
        except ApiError as exc:
            self.blockers.append(exc)
            return None

    def raise_first(self) -> None:
        if self.blockers:
            raise self.blockers[0]


def assess(
    *,
    store: ItemStore,
    settings: Settings,
    now: datetime,
    tenant: dict[str, Any],
    source: dict[str, Any],
    target_env: str,
    denied: ApiError | None = None,
) -> Readiness:
    """Run every check of a promotion of `source` to `target_env` (nothing is changed). `denied`: the caller's
    role does not allow this promotion (the route asks the authorizer; listed after the order rule)."""
    ready = Readiness()
    ready.check(lambda: check_promotion(source["environment"], target_env))
    if ready.blockers:
        ready.ordered = False  # nothing in another environment is looked at
        return ready
    if denied is not None:
        ready.blockers.append(denied)
    ready.check(lambda: require_active_tenant(tenant, what="its sites can only be promoted"))
    ready.check(lambda: service.refuse_busy(source))
    ready.check(lambda: check_action(SiteAction.PROMOTE, SiteStatus(source["status"])))
    found = ready.check(lambda: (promotion.find_target(store, source, target_env),))
    ready.target = found[0] if found else None
    if ready.target is not None:
        target = ready.target
        ready.check(lambda: service.refuse_busy(target))
        ready.check(lambda: check_action(SiteAction.PROMOTE, SiteStatus(target["status"])))
    elif found is not None:  # the promotion makes the target: room for it in the target environment
        ready.instance = ready.check(lambda: service.serving_instance(store, source["tenantId"], target_env))
        ready.check(lambda: service.free_slot(store, tenant, target_env))
    if target_env == "prod":
        ready.gate = history.lookback_gate(
            store=store,
            site=source,
            now=now,
            lookback_hours=settings.health_lookback_hours,
            interval_seconds=settings.health_interval_seconds,
        )
        if not ready.gate["passed"]:
            ready.blockers.append(gate_failed(ready.gate))
    return ready


def gate_failed(gate: dict[str, Any]) -> ApiError:
    return UnprocessableEntity(
        f"The source cannot go to prod yet: {gate['detail']}.", code="HEALTH_GATE_FAILED", healthGate=gate
    )


def role_denial(*, authz: Authorizer, source: dict[str, Any], target_env: str, dry_run: bool) -> ApiError | None:
    """The caller's role on the target environment (promotion to prod needs a tenant ADMIN): a missing one is a
    blocker, so the request answers 403 unless an earlier check refuses it. The plan reads the target too: a dry
    run needs at least `sites:read` there."""
    where = {"tenant_id": source["tenantId"], "node_path": source.get("nodePath") or "", "environment": target_env}
    try:
        authz.require(f"promote:{target_env}", **where)
    except Forbidden as exc:
        if dry_run:
            authz.require("sites:read", **where)
        return exc
    return None


def plan_for(*, container: Container, source: dict[str, Any], target: dict[str, Any] | None) -> dict[str, Any]:
    """What the promotion would change in the target, read from both running sites."""
    driver = ready_driver(container)
    source_instance = instance_of(container.store, source["tenantId"], source["environment"])
    if source_instance is None:
        raise Conflict("The source's instance is gone.", code="INSTANCE_NOT_FOUND")
    target_instance = instance_of(container.store, target["tenantId"], target["environment"]) if target else None
    try:
        return promotion.plan(
            driver=driver,
            source=source,
            source_spec=spec_of(source_instance),
            target=target,
            target_spec=spec_of(target_instance) if target_instance else None,
        )
    except DriverError as exc:
        raise WordPressFailed(f"The sites could not be read for the plan: {exc.reason}") from exc


def _assessed(
    container: Container, authz: Authorizer, source: dict[str, Any], target_env: str, dry_run: bool
) -> tuple[dict[str, Any], Readiness]:
    denied = role_denial(authz=authz, source=source, target_env=target_env, dry_run=dry_run)
    tenant = get_tenant(store=container.store, tenant_id=source["tenantId"])
    ready = assess(
        store=container.store,
        settings=container.settings,
        now=container.clock.now(),
        tenant=tenant,
        source=source,
        target_env=target_env,
        denied=denied,
    )
    return tenant, ready


def preview(*, container: Container, authz: Authorizer, source: dict[str, Any], target_env: str) -> Readiness:
    """The dry run: every blocker and, when the target environment is the next one, the plan (nothing changes)."""
    _, ready = _assessed(container, authz, source, target_env, dry_run=True)
    if ready.ordered:
        plan = ready.check(lambda: plan_for(container=container, source=source, target=ready.target))
        ready.plan = plan or ready.plan
    return ready


def promote(
    *, container: Container, authz: Authorizer, actor: Actor, source: dict[str, Any], target_env: str
) -> dict[str, Any]:
    """Refuse with the first blocker (before the sites are read for a plan), else request the promotion."""
    tenant, ready = _assessed(container, authz, source, target_env, dry_run=False)
    ready.raise_first()
    return promotion.request_promotion(
        store=container.store,
        clock=container.clock,
        actor=actor,
        tenant=tenant,
        source=source,
        target_env=target_env,
        target=ready.target,
        instance=ready.instance,
        plan_=plan_for(container=container, source=source, target=ready.target),
        gate=ready.gate,
    )
