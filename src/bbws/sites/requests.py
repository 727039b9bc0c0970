"""Site requests that make or replace content: clone, apply a template, and a live health check."""

from __future__ import annotations

import contextlib
from typing import Any

from bbws.core.changes import Actor, Changes
from bbws.core.clock import Clock
from bbws.core.container import Container
from bbws.core.errors import Conflict
from bbws.core.store import ItemStore
from bbws.instances.driver import RuntimeDriver
from bbws.instances.service import spec_of
from bbws.sites import history, service
from bbws.sites.context import health_checker_of
from bbws.sites.models import HealthStatus, SiteAction, SiteStatus, check_action
from bbws.sites.records import instance_of, save_site


def request_clone(
    *,
    store: ItemStore,
    clock: Clock,
    actor: Actor,
    tenant: dict[str, Any],
    source: dict[str, Any],
    subdomain: str,
    site_name: str,
    environment: str,
) -> dict[str, Any]:
    """A new PROVISIONING site (its own lineage) and the source held CLONING, with the CloneSite job."""
    service.refuse_busy(source)
    check_action(SiteAction.CLONE, SiteStatus(source["status"]))
    service.check_subdomain(subdomain)
    instance = service.serving_instance(store, source["tenantId"], environment)
    service.refuse_taken(store, environment, subdomain)
    changes = Changes(actor=actor, now=clock.now())
    service.claim_slot(changes, store, tenant, environment)
    copy = service.new_site(
        changes,
        tenant_id=source["tenantId"],
        environment=environment,
        subdomain=subdomain,
        site_name=site_name,
        teamId=source.get("teamId"),
        nodePath=source.get("nodePath") or "",
        instanceId=instance["instanceId"],
        adminEmail=source.get("adminEmail"),
        tagline=source.get("tagline") or "",
        templateId=source.get("templateId"),
        clonedFrom=source["siteId"],
    )
    return service.start(
        changes,
        store,
        copy,
        SiteAction.CLONE,
        {"sourceSiteId": source["siteId"]},
        created=True,
        others=[(source, SiteAction.CLONE, "source", False)],
    )


def check_now(
    *, container: Container, driver: RuntimeDriver, actor: Actor, site: dict[str, Any], audited: bool = False
) -> dict[str, Any]:
    """Run the real checks against the site now, keep them in its history, and note the result on the site.
    `audited`: a check someone asked for is in the audit trail (the periodic ones would only flood it)."""
    instance = instance_of(container.store, site["tenantId"], site["environment"])
    if instance is None or not site.get("url") or site["status"] in (SiteStatus.DELETED, SiteStatus.PROVISIONING):
        return {
            "siteId": site["siteId"],
            "healthStatus": HealthStatus.UNKNOWN.value,
            "checkedAt": None,
            "checks": [],
            "detail": f"the site is {site['status']}; nothing runs to check",
        }
    checker = health_checker_of(container)
    report = checker(
        driver=driver,
        spec=spec_of(instance),
        key=site["key"],
        url=site["url"],
        declared=site.get("declared"),
        clock=container.clock,
    )
    changes = Changes(actor=actor, now=container.clock.now())
    history.record_check(changes, site=site, report=report, lookback_hours=container.settings.health_lookback_hours)
    if audited:
        changes.audit(
            tenant_id=site["tenantId"],
            action="site.health_checked",
            resource_type="site",
            resource_id=site["siteId"],
            event_data={"siteId": site["siteId"], **{k: report[k] for k in ("healthStatus", "checkedAt")}},
        )
    changes.commit(container.store)
    fresh = container.store.get(site["pk"], site["sk"]) or site
    if not fresh.get("pendingOperationId"):  # a site held by an operation is written by that operation only
        changed = fresh.get("healthStatus") != report["healthStatus"]
        # the site may change meanwhile (an operation starts): the history keeps this check anyway
        with contextlib.suppress(Conflict):
            save_site(
                store=container.store,
                clock=container.clock,
                actor=actor,
                site=fresh,
                audit="site.health_changed" if changed else None,
                healthStatus=report["healthStatus"],
                lastHealthAt=report["checkedAt"],
            )
    return {"siteId": site["siteId"], **report}
