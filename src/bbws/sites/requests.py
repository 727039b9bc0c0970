"""Site requests that make or replace content: create, clone, restore, apply a template, and a live health check.
Each takes what the route parsed and checks every rule of the request (routers only translate HTTP)."""

from __future__ import annotations

import contextlib
from typing import Any

from bbws.core.authorizer import Authorizer
from bbws.core.changes import Actor, Changes
from bbws.core.clock import Clock
from bbws.core.container import Container
from bbws.core.driver import RuntimeDriver
from bbws.core.errors import Conflict, UnprocessableEntity
from bbws.core.settings import Settings
from bbws.core.store import ItemStore
from bbws.instances.service import spec_of
from bbws.sites import backups, history, service
from bbws.sites.models import BackupStatus, HealthStatus, SiteAction, SiteStatus, check_action
from bbws.sites.records import instance_of, save_site
from bbws.tenants.hierarchy import node_path_of
from bbws.tenants.service import get_tenant


def request_create(
    *,
    store: ItemStore,
    settings: Settings,
    clock: Clock,
    actor: Actor,
    authz: Authorizer,
    tenant_id: str,
    body: dict[str, Any],
) -> dict[str, Any]:
    """A new site in the environment's instance, on the caller's right to write sites of its team there, from a
    template and with catalog plugins (each checked before anything is queued)."""
    node_path = node_path_of(store, tenant_id, body["teamId"]) if body.get("teamId") else ""
    authz.require("sites:write", tenant_id=tenant_id, node_path=node_path, environment=body["environment"])
    tenant = get_tenant(store=store, tenant_id=tenant_id)
    instance = service.serving_instance(store, tenant_id, body["environment"])
    admin = authz.allowed("templates:write")  # platform admins may use a template version not yet published
    template = service.resolve_template(store=store, ref=body.get("templateId"), platform_admin=admin)
    plugins = service.resolve_plugins(
        store=store, settings=settings, refs=body.get("plugins") or [], wordpress_version=instance["wordpressVersion"]
    )
    return service.create_site(
        store=store,
        clock=clock,
        actor=actor,
        tenant=tenant,
        body=body,
        node_path=node_path,
        template=template,
        plugins=plugins,
    )


def request_clone(
    *,
    store: ItemStore,
    clock: Clock,
    actor: Actor,
    authz: Authorizer,
    source: dict[str, Any],
    subdomain: str,
    site_name: str,
    environment: str | None,
) -> dict[str, Any]:
    """A new PROVISIONING site (its own lineage) and the source held CLONING, with the CloneSite job. The copy
    goes to `environment` (default: the source's), where the caller must be allowed to write sites too."""
    environment = environment or source["environment"]
    authz.require(
        "sites:write", tenant_id=source["tenantId"], node_path=source.get("nodePath") or "", environment=environment
    )
    tenant = get_tenant(store=store, tenant_id=source["tenantId"])
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


def request_restore(
    *, store: ItemStore, clock: Clock, actor: Actor, site: dict[str, Any], backup_id: str
) -> dict[str, Any]:
    """Queue RestoreSite for one of the site's own COMPLETED backups."""
    backup = backups.get_backup(store=store, site=site, backup_id=backup_id)
    if backup["status"] != BackupStatus.COMPLETED:
        raise UnprocessableEntity(f"Backup {backup_id} is {backup['status']}.", code="BACKUP_NOT_COMPLETED")
    return service.request_action(
        store=store, clock=clock, actor=actor, site=site, action=SiteAction.RESTORE, params={"backupId": backup_id}
    )


def request_apply_template(
    *, store: ItemStore, clock: Clock, actor: Actor, authz: Authorizer, site: dict[str, Any], template_ref: str
) -> dict[str, Any]:
    """Queue ApplyTemplate (a backup is taken first); the site's state is checked before the template is looked
    up, and only platform admins may use a version not yet published."""
    check_action(SiteAction.APPLY_TEMPLATE, SiteStatus(site["status"]))
    template = service.resolve_template(
        store=store, ref=template_ref, platform_admin=authz.allowed("templates:write")
    )
    if template is None:
        raise ValueError("a template reference names a template")
    params = {"template": {"templateId": template["templateId"], "version": template["version"]}}
    return service.request_action(
        store=store, clock=clock, actor=actor, site=site, action=SiteAction.APPLY_TEMPLATE, params=params
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
    report = container.site_health(
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
