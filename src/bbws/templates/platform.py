"""The platform's own WordPress instances (one builds the built-in templates, one serves previews) and the
leases that let only one worker at a time build a given archive or preview."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from bbws.core.driver import DriverError, InstanceSpec, RuntimeDriver
from bbws.core.ids import new_id
from bbws.core.store import NOT_EXISTS, ConditionFailed, ItemStore
from bbws.templates import keys

# Instances the platform owns, named like a tenant's so any driver accepts them; real tenant ids are `ten_...`.
BUILDER = "platform-builder"
PREVIEWS = "platform-previews"
LEASE_SECONDS = 900  # longer than any build takes; a worker that died holding it is replaced after this
WAIT_INTERVAL = 0.25
R = TypeVar("R")


class StillBuilding(Exception):
    """Another worker is building the same thing and has not finished in time: the job retries later."""


def platform_spec(driver: RuntimeDriver, tenant: str, *, workers: int = 1) -> InstanceSpec:
    """A platform instance on the newest WordPress and PHP this runtime has."""
    versions = driver.versions()
    return InstanceSpec(
        tenant_id=tenant,
        environment="dev",
        instance_id=f"ins-{tenant}",
        desired_count=workers,
        wordpress_version=versions.default_wordpress,
        php_version=versions.default_php,
    )


def preview_spec(driver: RuntimeDriver) -> InstanceSpec:
    """The instance serving every preview: two workers, previews are browsed by several people at once."""
    return platform_spec(driver, PREVIEWS, workers=2)


def builder_spec(driver: RuntimeDriver) -> InstanceSpec:
    return platform_spec(driver, BUILDER)


def ensure_running(driver: RuntimeDriver, spec: InstanceSpec) -> str | None:
    """Provision (idempotent: starts it again after a restart, no-op while it serves); returns its URL."""
    result = driver.provision(spec)
    if not result.settled:  # GitOps: the instance comes up later; the job is retried until it does
        raise DriverError(f"the platform instance {spec.tenant_id} is still being provisioned", retryable=True)
    return result.url


def take_lease(store: ItemStore, template_id: str, what: str) -> str | None:
    """Hold the lease on `what` (an owner token) or None when another worker holds it. The lease item expires
    by itself (`ttl`, wall-clock seconds as the store reads them), so a dead holder blocks no one for long."""
    owner = new_id("req")
    item = {
        "pk": keys.PK,
        "sk": keys.lease_sk(template_id, what),
        "type": "templateLease",
        "owner": owner,
        "ttl": int(time.time()) + LEASE_SECONDS,
    }
    try:
        store.put(item, condition=NOT_EXISTS)  # guards: one builder per archive or preview
    except ConditionFailed:
        return None
    return owner


def give_back(store: ItemStore, template_id: str, what: str, owner: str) -> None:
    item = store.get(keys.PK, keys.lease_sk(template_id, what))
    if item is not None and item.get("owner") == owner:
        store.delete(keys.PK, keys.lease_sk(template_id, what))


def once(
    store: ItemStore,
    template_id: str,
    what: str,
    *,
    done: Callable[[], R | None],
    build: Callable[[], R],
    timeout: float = LEASE_SECONDS,
) -> R:
    """`done()` when it already is; else build it under the lease, or wait for the worker holding it."""
    deadline = time.monotonic() + timeout
    while True:
        found = done()
        if found is not None:
            return found
        owner = take_lease(store, template_id, what)
        if owner is not None:
            try:
                found = done()  # finished between the check and the lease
                return found if found is not None else build()
            finally:
                give_back(store, template_id, what, owner)
        if time.monotonic() > deadline:
            raise StillBuilding(f"{what} of template {template_id} is still being built by another worker")
        time.sleep(WAIT_INTERVAL)
