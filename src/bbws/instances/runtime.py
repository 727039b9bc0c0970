"""Which runtime driver the platform uses (from settings), and keeping instances running across restarts."""

from __future__ import annotations

import functools
import logging
import threading

from bbws.core.container import Container
from bbws.core.driver import DriverError, RuntimeDriver
from bbws.core.restore import Restore
from bbws.core.settings import Settings
from bbws.core.store import ItemStore
from bbws.instances.models import SHOULD_RUN, InstanceStatus
from bbws.instances.service import spec_of
from bbws.tenants import keys

log = logging.getLogger("bbws.instances")
RESTORE_JOIN_SECONDS = 60.0  # a start under way ends within its own timeouts (PHP 20 s, MariaDB 30 s)


def build_driver(settings: Settings) -> RuntimeDriver:
    if settings.runtime == "gitops":
        from bbws.instances.gitops.driver import GitOpsDriver

        return GitOpsDriver.from_settings(settings)
    from bbws.instances.local.driver import LocalDriver

    return LocalDriver.from_settings(settings)


def to_restore(store: ItemStore) -> Restore:
    """Every instance whose status says it should be serving, to bring back (a query; nothing is started)."""
    todo: list[tuple[str, str]] = []
    start_after = None
    while True:
        page = store.query(keys.ALL_INSTANCES, index="GSI1", limit=100, start_after=start_after)
        todo += [(i["tenantId"], i["environment"]) for i in page.items if InstanceStatus(i["status"]) in SHOULD_RUN]
        if not page.last_key:
            return Restore(todo)
        start_after = page.last_key


def reconcile(container: Container, *, restore: Restore | None = None) -> dict[str, int]:
    """Start every instance whose status says it should be serving (after a restart or a reboot);
    returns how many were started and how many failed (their reason is logged; the record is left alone).
    With `restore` (collected already), jobs may bring some back first: those are skipped."""
    driver = container.runtime.get()
    counts = {"started": 0, "failed": 0}
    if driver.name != "local":
        return counts  # ECS keeps AWS instances running by itself
    if restore is None:
        restore = to_restore(container.store)
    for key in restore.pending():
        if restore.stopping.is_set():
            break
        try:
            restore.bring_back(key, functools.partial(_restart, container, driver, key, counts))
        except Exception:  # one instance's surprise (a store hiccup) must not leave the others down
            counts["failed"] += 1
            log.exception("instance could not be restarted", extra={"tenantId": key[0], "environment": key[1]})
    return counts


def bring_back(container: Container, *, tenant_id: str, environment: str) -> None:
    """Called by a job before it works on an instance: when a background restore has not brought that instance
    back yet, start it now (or wait for the start under way). Nothing to do otherwise."""
    restore = container.restore
    if restore is None:
        return
    counts = {"started": 0, "failed": 0}
    key = (tenant_id, environment)
    restore.bring_back(key, lambda: _restart(container, container.runtime.get(), key, counts))


def _restart(container: Container, driver: RuntimeDriver, key: tuple[str, str], counts: dict[str, int]) -> None:
    """Start one instance if its record (read now, not when the restore began) still says it should run."""
    item = container.store.get(keys.tenant_pk(key[0]), keys.instance_sk(key[1]))
    if item is None or InstanceStatus(item["status"]) not in SHOULD_RUN:
        return
    try:
        driver.start(spec_of(item))
        counts["started"] += 1
    except DriverError as exc:
        counts["failed"] += 1
        log.error("instance could not be restarted", extra={"instanceId": item["instanceId"], "error": exc.reason})


def missing_for(settings: Settings) -> list[str]:
    """What this machine lacks for the configured runtime (empty when ready)."""
    try:
        return build_driver(settings).missing()
    except DriverError as exc:
        return [exc.reason]


def start_runtime(container: Container, *, restore: Restore | None = None) -> None:
    """Bring back the instances that should be serving (reconcile desired vs actual)."""
    try:
        counts = reconcile(container, restore=restore)
    except Exception:  # the API must come up even when the runtime cannot (missing packages are reported)
        log.exception("instances could not be reconciled")
        return
    if counts["started"] or counts["failed"]:
        log.info("instances reconciled", extra=counts)


def start_runtime_in_background(container: Container) -> None:
    """Note which instances should be serving (a store query, before any job is taken), then bring them back in
    a thread. A job for an instance not back yet starts it itself or waits for its start (`bring_back`)."""
    try:
        restore = to_restore(container.store)
    except Exception:  # the store is down: nothing to restore now; jobs and the supervisor carry on
        log.exception("instances to restore could not be listed")
        return
    container.restore = restore
    restore.thread = threading.Thread(target=start_runtime, args=(container,), kwargs={"restore": restore},
                                      name="bbws-runtime-restore", daemon=True)
    restore.thread.start()


def stop_runtime(container: Container) -> None:
    """Stop the instances' processes this server started (their data stays; the next start brings them back)."""
    restore, container.restore = container.restore, None
    if restore is not None:  # no instance is started after the driver shut down
        restore.stopping.set()
        if restore.thread is not None:
            restore.thread.join(RESTORE_JOIN_SECONDS)
    driver = container.runtime.built
    if driver is not None:
        driver.shutdown()
