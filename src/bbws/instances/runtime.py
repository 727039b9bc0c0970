"""Which runtime driver the platform uses (from settings), and keeping instances running across restarts."""

from __future__ import annotations

import logging
from typing import Any

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


def driver_of(container: Any) -> RuntimeDriver:
    """The container's driver, built on first use (tests put their own in `extras["runtime"]`)."""
    driver: RuntimeDriver | None = container.extras.get("runtime")
    if driver is None:
        driver = container.extras["runtime"] = build_driver(container.settings)
    return driver


def reconcile(container: Any) -> dict[str, int]:
    """Start every instance whose status says it should be serving (after a restart or a reboot);
    returns how many were started and how many failed (their reason is logged; the record is left alone)."""
    from bbws.instances.service import spec_of

    driver = driver_of(container)
    counts = {"started": 0, "failed": 0}
    if driver.name != "local":
        return counts  # ECS keeps AWS instances running by itself
    start_after = None
    while True:
        page = container.store.query(keys.ALL_INSTANCES, index="GSI1", limit=100, start_after=start_after)
        for item in page.items:
            if InstanceStatus(item["status"]) not in SHOULD_RUN:
                continue
            try:
                driver.start(spec_of(item))
                counts["started"] += 1
            except DriverError as exc:
                counts["failed"] += 1
                log.error("instance could not be restarted",
                          extra={"instanceId": item["instanceId"], "error": exc.reason})
        if not page.last_key:
            return counts
        start_after = page.last_key


def missing_for(settings: Settings) -> list[str]:
    """What this machine lacks for the configured runtime (empty when ready)."""
    try:
        return build_driver(settings).missing()
    except DriverError as exc:
        return [exc.reason]
