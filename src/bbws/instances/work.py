"""Worker side of instance operations: apply each action once through the runtime driver, and the hooks
that make tenant lifecycle actions and ended operations move instances too."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bbws.core.changes import Actor, Changes
from bbws.core.clock import Clock
from bbws.core.driver import DriverError, DriverResult, InstanceSpec, RuntimeDriver
from bbws.core.handlers import ClaimedJob, Handler, JobContext, PermanentFailure
from bbws.core.hooks import InstanceRemoved
from bbws.core.links import href
from bbws.core.queue import Job
from bbws.core.store import ItemStore, version_is
from bbws.instances import service
from bbws.instances.models import (
    AWAITING,
    SETTLED,
    InstanceAction,
    InstanceStatus,
    working_status,
)
from bbws.instances.runtime import bring_back
from bbws.instances.views import audit_instance
from bbws.tenants import keys
from bbws.tenants.models import LifecycleAction

log = logging.getLogger("bbws.instances")

A, S = InstanceAction, InstanceStatus
EVENT_ACTIONS = {
    A.PROVISION: "instance.provisioned",
    A.UPDATE: "instance.updated",
    A.STOP: "instance.stopped",
    A.START: "instance.started",
    A.SCALE: "instance.scaled",
    A.DELETE: "instance.deprovisioned",
}


class InstanceWork:
    """One operation on one instance that its operation claimed: drive the runtime, record the outcome."""

    def __init__(
        self, *, store: ItemStore, clock: Clock, driver: RuntimeDriver, actor: Actor, exports: Path,
        removed: Sequence[InstanceRemoved] = (),
    ) -> None:
        self.store, self.clock, self.driver, self.actor, self.exports = store, clock, driver, actor, exports
        self.removed = removed  # what else ends with an instance once its runtime is gone (its sites)

    def apply(
        self, item: dict[str, Any], *, operation_id: str, action: InstanceAction, params: dict[str, Any]
    ) -> dict[str, Any]:
        working = working_status(action, gitops=self.driver.name == "gitops")
        if working is not None and working.value != item["status"]:
            item = self._save(item, status=working.value)
        spec = service.spec_of(item, operation_id=operation_id, **_overrides(action, params))
        try:
            result = self._drive(action, spec, item)
        except DriverError as exc:
            if exc.retryable:
                raise
            self._save(item, audit="instance.failed", **_ended(operation_id), status=S.FAILED.value,
                       lastError=exc.reason)
            raise PermanentFailure(exc.reason) from exc
        if action is A.DELETE:  # before the instance is settled: a retry of this job runs them again
            for hook in self.removed:
                hook(self.store, self.clock, self.actor, item)
        status = SETTLED[action] if result.settled else AWAITING[action]
        running = item.get("runningCount", 0)
        if result.settled and self.driver.reports_live_status:
            running = 0 if status in (S.SUSPENDED, S.DEPROVISIONED) else self.driver.status(spec).running_count
        final = self._save(
            item,
            audit=EVENT_ACTIONS[action],
            **_ended(operation_id),
            status=status.value,
            desiredCount=spec.desired_count,
            wordpressVersion=spec.wordpress_version,
            phpVersion=spec.php_version,
            settings=spec.settings,
            resources={**(item.get("resources") or {}), **result.resources},
            url=None if status is S.DEPROVISIONED else (result.url or item.get("url")),
            runningCount=running,
            lastError=None,
            stoppedByTenant=bool(params.get("byTenant")) if action is A.STOP else False,
            lastCommitSha=result.details.get("commitSha", item.get("lastCommitSha")),
        )
        details = {k: v for k, v in result.details.items() if k != "message"}
        if "exports" in details:
            details["exports"] = [self._export(Path(path)) for path in details["exports"]]
        return {**_result(final), **details}

    def _export(self, archive: Path) -> dict[str, Any]:
        """An archive the deletion left, named relative to the exports folder (sites are `<key>.tar.gz`)."""
        inside = archive.is_relative_to(self.exports)
        return {
            "site": archive.name.removesuffix(".tar.gz"),
            "archive": archive.relative_to(self.exports).as_posix() if inside else archive.name,
            "bytes": archive.stat().st_size if archive.exists() else None,
        }

    def _drive(self, action: InstanceAction, spec: InstanceSpec, item: dict[str, Any]) -> DriverResult:
        driver = self.driver
        if action is A.PROVISION:
            return driver.provision(spec)
        if action is A.UPDATE:
            return driver.update(spec)
        if action is A.STOP:
            return driver.stop(spec)
        if action is A.START:
            return driver.start(spec)
        if action is A.SCALE:
            return driver.scale(spec)
        folder = self.exports / item["tenantId"] / f"{item['environment']}-{spec.operation_id}"
        return driver.deprovision(spec, export_dir=folder)

    def _save(self, item: dict[str, Any], *, audit: str | None = None, **fields: Any) -> dict[str, Any]:
        changes = Changes(actor=self.actor, now=self.clock.now())
        moved = {**item, **fields, "updatedAt": changes.timestamp, "version": item["version"] + 1}
        changes.put(moved, version_is(item["version"]))  # guards: one writer per instance (its pending operation)
        if audit:
            audit_instance(changes, action=audit, before=item, after=moved)
        changes.commit(self.store)
        return moved


def _overrides(action: InstanceAction, params: dict[str, Any]) -> dict[str, Any]:
    """What the operation changes in the driver's spec (stop renders zero workers on GitOps, not here)."""
    found: dict[str, Any] = {}
    if "desiredCount" in params:
        found["desired_count"] = params["desiredCount"]
    if params.get("wordpressVersion"):
        found["wordpress_version"] = params["wordpressVersion"]
    if params.get("phpVersion"):
        found["php_version"] = params["phpVersion"]
    if params.get("settings") is not None:
        found["settings"] = params["settings"]
    return found


def _ended(operation_id: str) -> dict[str, Any]:
    return {"pendingOperationId": None, "lastOperationId": operation_id, "previousStatus": None}


def _result(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "message": f"Instance is {item['status']}.",
        "instanceId": item["instanceId"],
        "status": item["status"],
        "url": item.get("url"),
        "_links": {"instance": {"href": href("tenants", item["tenantId"], "instances", item["instanceId"])}},
    }


def release(changes: Changes, store: ItemStore, operation: dict[str, Any]) -> None:
    """An operation that ended without the handler recording it: a cancelled one puts the instance back as it
    was (a cancelled create leaves nothing to run), a failed or dead-lettered one leaves it FAILED with the reason."""
    for item in service.list_instances(store=store, tenant_id=operation["tenantId"]):
        if item.get("pendingOperationId") != operation["operationId"]:
            continue
        if operation["status"] == "CANCELLED":
            status = item.get("previousStatus") or S.DEPROVISIONED.value
            error = item.get("lastError")
        else:
            status, error = S.FAILED.value, (operation.get("error") or {}).get("detail", "The operation failed.")
        moved = {**item, **_ended(operation["operationId"]), "status": status, "lastError": error,
                 "updatedAt": changes.timestamp, "version": item["version"] + 1}
        changes.put(moved, version_is(item["version"]))  # guards: the handler finishing at this very moment
        audit_instance(changes, action="instance.released", before=item, after=moved)


class InstanceJob(ClaimedJob):
    """Every instance operation: provision, update, stop, start, scale, delete."""

    kind = "instance"
    release = staticmethod(release)

    def load(self, job: Job, ctx: JobContext) -> dict[str, Any] | None:
        return ctx.container.store.get(keys.tenant_pk(job.tenant_id), keys.instance_sk(job.payload["environment"]))

    def name_of(self, job: Job, item: dict[str, Any] | None) -> str:
        return item["instanceId"] if item else f"of tenant {job.tenant_id} in {job.payload['environment']}"

    def done(self, item: dict[str, Any]) -> dict[str, Any]:
        return _result(item)

    def run(self, job: Job, ctx: JobContext, item: dict[str, Any]) -> dict[str, Any]:
        container = ctx.container
        try:
            driver = container.runtime.get()
        except DriverError as exc:  # not configured: retrying cannot help; release marks the instance FAILED
            raise PermanentFailure(exc.reason) from exc
        bring_back(container, tenant_id=job.tenant_id, environment=item["environment"])  # not back yet
        work = InstanceWork(
            store=container.store,
            clock=container.clock,
            driver=driver,
            actor=ctx.actor,
            exports=container.settings.data_dir / "exports",
            removed=container.hooks.instance_removed,
        )
        return work.apply(
            item, operation_id=str(job.operation_id), action=A(job.payload["action"]),
            params=job.payload.get("params") or {},
        )


# tenant action -> (instance statuses it applies to, the instance action it requests)
TENANT_CASCADE: dict[LifecycleAction, tuple[frozenset[InstanceStatus], InstanceAction]] = {
    LifecycleAction.PARK: (frozenset({S.ACTIVE}), A.STOP),
    LifecycleAction.SUSPEND: (frozenset({S.ACTIVE}), A.STOP),
    LifecycleAction.UNPARK: (frozenset({S.SUSPENDED}), A.START),
    LifecycleAction.RESUME: (frozenset({S.SUSPENDED}), A.START),
    LifecycleAction.DELETE: (frozenset({S.ACTIVE, S.SUSPENDED, S.FAILED, S.WORKFLOW_FAILED}), A.DELETE),
}


def cascade(changes: Changes, store: ItemStore, tenant: dict[str, Any], action: str) -> None:
    """Park/suspend stop the tenant's running instances, unpark/resume start the ones the tenant stopped,
    delete deprovisions them: each as its own operation, queued in the tenant's own transaction."""
    if action not in TENANT_CASCADE:
        return
    statuses, instance_action = TENANT_CASCADE[LifecycleAction(action)]
    for item in service.list_instances(store=store, tenant_id=tenant["tenantId"]):
        if InstanceStatus(item["status"]) not in statuses or item.get("pendingOperationId"):
            continue
        if instance_action is A.START and not item.get("stoppedByTenant"):
            continue  # stopped by its users before the tenant was parked: it stays stopped
        params = {"byTenant": True} if instance_action is A.STOP else {}
        service.request_action(store=store, actor=changes.actor, instance=item, action=instance_action,
                               params=params, changes=changes)



HANDLERS: dict[str, Handler] = {service.JOB: InstanceJob()}
