"""Which runtime driver the platform uses (from settings), and keeping instances running across restarts."""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from typing import Any

from bbws.core.container import Container
from bbws.core.settings import Settings
from bbws.instances.driver import DriverError, RuntimeDriver
from bbws.instances.models import SHOULD_RUN, InstanceStatus
from bbws.tenants import keys

log = logging.getLogger("bbws.instances")


def build_driver(settings: Settings) -> RuntimeDriver:
    if settings.runtime == "gitops":
        from bbws.instances.gitops.driver import GitOpsDriver

        return GitOpsDriver.from_settings(settings)
    from bbws.instances.local.driver import LocalDriver

    return LocalDriver.from_settings(settings)


def driver_of(container: Container) -> RuntimeDriver:
    """The container's driver, built on first use (tests put their own in `extras["runtime"]`)."""
    driver: RuntimeDriver | None = container.extras.get("runtime")
    if driver is None:
        driver = container.extras["runtime"] = build_driver(container.settings)
    return driver


RESTORE_WAIT = 120.0  # seconds a job waits for the start of its instance that a restore is doing now


class Restore:
    """The instances a starting process brings back in the background (`bbws serve`, `bbws worker`), while its
    workers already take jobs. A job for an instance not back yet does that instance's start itself, or waits
    for the one under way, so a restore never starts an instance after a job has stopped it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._todo: list[tuple[str, str]] = []  # (tenantId, environment), in the order they are brought back
        self._doing: dict[tuple[str, str], threading.Event] = {}
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None

    def collect(self, store: Any) -> None:
        """Note every instance whose status says it should be serving (a query; nothing is started here)."""
        start_after = None
        while True:
            page = store.query(keys.ALL_INSTANCES, index="GSI1", limit=100, start_after=start_after)
            with self._lock:
                self._todo += [(i["tenantId"], i["environment"]) for i in page.items
                               if InstanceStatus(i["status"]) in SHOULD_RUN]
            if not page.last_key:
                return
            start_after = page.last_key

    def pending(self) -> list[tuple[str, str]]:
        with self._lock:
            return list(self._todo)

    def bring_back(self, key: tuple[str, str], start: Callable[[], None], *, wait: float = RESTORE_WAIT) -> None:
        """Run `start` for `key` unless someone already did (or is doing it: then wait for that)."""
        with self._lock:
            event, mine = self._doing.get(key), False
            if event is None and key in self._todo:
                self._todo.remove(key)
                event, mine = self._doing.setdefault(key, threading.Event()), True
        if event is None:
            return
        if not mine:
            event.wait(wait)
            return
        try:
            start()
        except Exception:
            with self._lock:
                self._todo.append(key)  # not back: the next job for it (or a later pass) tries again
            raise
        finally:
            with self._lock:
                self._doing.pop(key, None)
            event.set()


def reconcile(container: Container, *, restore: Restore | None = None) -> dict[str, int]:
    """Start every instance whose status says it should be serving (after a restart or a reboot);
    returns how many were started and how many failed (their reason is logged; the record is left alone).
    With `restore` (collected already), jobs may bring some back first: those are skipped."""
    driver = driver_of(container)
    counts = {"started": 0, "failed": 0}
    if driver.name != "local":
        return counts  # ECS keeps AWS instances running by itself
    if restore is None:
        restore = Restore()
        restore.collect(container.store)
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
    restore: Restore | None = container.extras.get("restore")
    if restore is None:
        return
    counts = {"started": 0, "failed": 0}
    key = (tenant_id, environment)
    restore.bring_back(key, lambda: _restart(container, driver_of(container), key, counts))


def _restart(container: Container, driver: RuntimeDriver, key: tuple[str, str], counts: dict[str, int]) -> None:
    """Start one instance if its record (read now, not when the restore began) still says it should run."""
    from bbws.instances.service import spec_of

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
