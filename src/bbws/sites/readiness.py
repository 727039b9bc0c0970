"""Whether a promotion may go: every check the promote request makes, in one place. The request answers with
the first blocker; the dry run lists them all, so the two cannot disagree."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from bbws.core.errors import ApiError, UnprocessableEntity
from bbws.core.settings import Settings
from bbws.core.store import ItemStore
from bbws.instances.service import require_active_tenant
from bbws.sites import history, promotion, service
from bbws.sites.models import SiteAction, SiteStatus, check_action, check_promotion

T = TypeVar("T")
NO_GATE = {"required": False, "passed": True, "detail": "only SIT -> PROD reads the lookback window"}


@dataclass
class Readiness:
    """The target site (None: the promotion makes it), the instance a new target goes into, the health gate,
    and what stands in the way, in the order the request checks it."""

    target: dict[str, Any] | None = None
    instance: dict[str, Any] | None = None
    gate: dict[str, Any] = field(default_factory=lambda: dict(NO_GATE))
    blockers: list[ApiError] = field(default_factory=list)
    ordered: bool = True  # False: the target environment is not the next one, nothing there was looked at

    def check(self, step: Callable[[], T]) -> T | None:
        try:
            return step()
        except ApiError as exc:
            self.blockers.append(exc)
            return None

    def raise_first(self) -> None:
        if self.blockers:
            raise self.blockers[0]

    def listed(self, user_agent: str | None) -> list[dict[str, Any]]:
        """The blockers as the dry run shows them: the code and detail the request would answer, and the hint."""
        shown = []
        for error in self.blockers:
            item = {"code": error.code, "status": error.status, "detail": error.detail}
            if error.hint is not None:
                item["hint"] = error.hint.for_agent(user_agent)
            shown.append(item)
        return shown


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
