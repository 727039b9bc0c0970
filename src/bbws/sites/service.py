"""Site use cases on the API side: create, and requesting actions (each one an Operation plus a job)."""

from __future__ import annotations

from typing import Any

from bbws.core.changes import Actor, Changes
from bbws.core.clock import Clock
from bbws.core.errors import Conflict, Hint, UnprocessableEntity, ValidationFailed
from bbws.core.ids import new_id
from bbws.core.queue import Job
from bbws.core.store import NOT_EXISTS, ConditionFailed, ItemStore, version_is
from bbws.events.outbox import enqueue
from bbws.instances.models import InstanceStatus
from bbws.instances.service import create_hint, require_active_tenant, start_hint
from bbws.jobs.operations import start_operation
from bbws.plugins import catalog
from bbws.sites import keys
from bbws.sites.backups import new_backup
from bbws.sites.models import PLUGIN_ACTIONS, HealthStatus, SiteAction, SiteStatus, check_action, subdomain_problem
from bbws.sites.records import instance_of, moved
from bbws.templates import service as templates
from bbws.tenants import keys as tenant_keys
from bbws.tenants.models import SITE_QUOTA_PER_ENVIRONMENT, Tier

A = SiteAction
JOBS: dict[SiteAction, str] = {
    A.CREATE: "CreateSite",
    A.UPDATE: "UpdateSite",
    A.SUSPEND: "SuspendSite",
    A.ACTIVATE: "ActivateSite",
    A.CLONE: "CloneSite",
    A.BACKUP: "BackupSite",
    A.RESTORE: "RestoreSite",
    A.PROMOTE: "PromoteSite",
    A.APPLY_TEMPLATE: "ApplyTemplate",
    A.DELETE: "DeleteSite",
    **dict.fromkeys(PLUGIN_ACTIONS, "ChangeSitePlugin"),  # one command; its action says which change
}
OPERATION_TYPES = {action: f"SITE_{action.value.upper().replace('-', '_')}" for action in SiteAction}


def check_subdomain(subdomain: str) -> None:
    problem = subdomain_problem(subdomain)
    if problem:
        raise ValidationFailed(
            f"subdomain {problem}.", code="SITE_001", errors=[{"field": "subdomain", "message": problem}]
        )


def serving_instance(store: ItemStore, tenant_id: str, environment: str) -> dict[str, Any]:
    """The instance a new site goes into: it must exist and be ACTIVE (409 otherwise, nothing is queued)."""
    instance = instance_of(store, tenant_id, environment)
    if instance is None:
        raise Conflict(
            f"Tenant {tenant_id} has no instance in {environment}; create one first.",
            code="INSTANCE_NOT_FOUND",
            hint=create_hint(tenant_id, environment),
            environment=environment,
        )
    if instance["status"] != InstanceStatus.ACTIVE:
        raise Conflict(
            f"The {environment} instance is {instance['status']}; sites are made in an ACTIVE instance.",
            code="INSTANCE_NOT_ACTIVE",
            hint=start_hint(instance) if instance["status"] == InstanceStatus.SUSPENDED else None,
            instanceStatus=instance["status"],
        )
    return instance


def free_slot(store: ItemStore, tenant: dict[str, Any], environment: str) -> dict[str, Any] | None:
    """The tenant's site counter for the environment, when the tier's quota has room for one more (SITE_004
    when it is full)."""
    tenant_id = tenant["tenantId"]
    counter = store.get(tenant_keys.tenant_pk(tenant_id), keys.site_count_sk(environment))
    quota = SITE_QUOTA_PER_ENVIRONMENT[Tier(tenant.get("tier") or Tier.STANDARD)]
    count = int((counter or {}).get("count", 0))
    if count >= quota:
        raise UnprocessableEntity(
            f"Tenant {tenant_id} has {count} sites in {environment}, the most its {tenant.get('tier')} tier allows.",
            code="SITE_004",
            quota=quota,
            environment=environment,
        )
    return counter


def claim_slot(changes: Changes, store: ItemStore, tenant: dict[str, Any], environment: str) -> None:
    """Count one more site against the tier's quota for the environment (SITE_004 when it is full)."""
    tenant_id = tenant["tenantId"]
    counter = free_slot(store, tenant, environment)
    count = int((counter or {}).get("count", 0))
    version = int((counter or {}).get("version", 0))
    changes.put(
        {
            "pk": tenant_keys.tenant_pk(tenant_id),
            "sk": keys.site_count_sk(environment),
            "type": "site-count",
            "count": count + 1,
            "version": version + 1,
        },
        version_is(version) if counter else NOT_EXISTS,
    )  # guards: two creates racing for the last slot


def release_slot(changes: Changes, store: ItemStore, tenant_id: str, environment: str) -> None:
    counter = store.get(tenant_keys.tenant_pk(tenant_id), keys.site_count_sk(environment))
    if counter is not None and counter.get("count", 0) > 0:
        changes.put(
            {**counter, "count": counter["count"] - 1, "version": counter["version"] + 1},
            version_is(counter["version"]),
        )


def claim_subdomain(changes: Changes, *, environment: str, subdomain: str, site: dict[str, Any]) -> None:
    pk, sk = keys.subdomain_lock(environment, subdomain)
    changes.put(
        {
            "pk": pk,
            "sk": sk,
            "type": "subdomain",
            "siteId": site["siteId"],
            "tenantId": site["tenantId"],
            "lineageId": site["lineageId"],
        },
        NOT_EXISTS,
    )  # guards: the subdomain is unique per environment


def subdomain_owner(store: ItemStore, environment: str, subdomain: str) -> dict[str, Any] | None:
    return store.get(*keys.subdomain_lock(environment, subdomain))


def refuse_taken(store: ItemStore, environment: str, subdomain: str) -> None:
    if subdomain_owner(store, environment, subdomain) is not None:
        raise subdomain_taken(environment, subdomain)


def subdomain_taken(environment: str, subdomain: str) -> Conflict:
    return Conflict(
        f"The subdomain {subdomain} is taken in {environment}.",
        code="SITE_003",
        subdomain=subdomain,
        environment=environment,
    )


def new_site(
    changes: Changes, *, tenant_id: str, environment: str, subdomain: str, site_name: str, **fields: Any
) -> dict[str, Any]:
    """A PROVISIONING site record (not yet written)."""
    site_id = new_id("site", now_ms=int(changes.now.timestamp() * 1000))
    return {
        "pk": tenant_keys.tenant_pk(tenant_id),
        "sk": keys.site_sk(site_id),
        **keys.site_indexes(tenant_id, environment, SiteStatus.PROVISIONING.value, site_id),
        "type": "site",
        "siteId": site_id,
        "tenantId": tenant_id,
        "siteName": site_name,
        "subdomain": subdomain,
        "environment": environment,
        "status": SiteStatus.PROVISIONING.value,
        "lineageId": site_id,
        "key": site_id,
        "path": subdomain,
        "url": None,
        "templateId": None,
        "teamId": None,
        "nodePath": "",
        "instanceId": None,
        "wordpressVersion": None,
        "phpVersion": None,
        "healthStatus": HealthStatus.UNKNOWN.value,
        "lastHealthAt": None,
        "adminUser": "admin",
        "adminEmail": None,
        "tagline": "",
        "declared": {"plugins": {}, "theme": None},
        "lastError": None,
        "pendingOperationId": None,
        "pendingAction": None,
        "previousStatus": None,
        "createdAt": changes.timestamp,
        "createdBy": changes.actor.sub,
        "updatedAt": changes.timestamp,
        "version": 1,
        **fields,
    }


def create_site(
    *,
    store: ItemStore,
    clock: Clock,
    actor: Actor,
    tenant: dict[str, Any],
    body: dict[str, Any],
    node_path: str,
    template: dict[str, Any] | None,
    plugins: list[dict[str, Any]],
) -> dict[str, Any]:
    """Write the PROVISIONING site, its subdomain guard, the quota count, the Operation and the CreateSite job."""
    require_active_tenant(tenant)
    env, subdomain = body["environment"], body["subdomain"]
    check_subdomain(subdomain)
    instance = serving_instance(store, tenant["tenantId"], env)
    refuse_taken(store, env, subdomain)
    changes = Changes(actor=actor, now=clock.now())
    claim_slot(changes, store, tenant, env)
    site = new_site(
        changes,
        tenant_id=tenant["tenantId"],
        environment=env,
        subdomain=subdomain,
        site_name=body["siteName"],
        teamId=body.get("teamId"),
        nodePath=node_path,
        instanceId=instance["instanceId"],
        adminEmail=body.get("adminEmail") or tenant.get("contactEmail"),
        tagline=body.get("tagline") or "",
        templateId=template["templateId"] if template else None,
    )
    params = {"template": _template_ref(template), "plugins": [p["pluginId"] for p in plugins]}
    return start(changes, store, site, A.CREATE, params, created=True)


def _template_ref(template: dict[str, Any] | None) -> dict[str, Any] | None:
    return {"templateId": template["templateId"], "version": template["version"]} if template else None


# Actions whose job backs the site up first: the backup record is made with the request (its id in the job).
BACKED_UP_FIRST = {A.BACKUP: "manual", A.DELETE: "pre-delete", A.APPLY_TEMPLATE: "pre-template"}


def request_action(
    *,
    store: ItemStore,
    clock: Clock,
    actor: Actor,
    site: dict[str, Any],
    action: SiteAction,
    params: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Check `action` against the site's state now, mark the site busy and queue its job (with the backup it
    takes first, for those that take one); the PENDING Operation."""
    refuse_busy(site)
    changes = Changes(actor=actor, now=clock.now())
    params = dict(params or {})
    reason = BACKED_UP_FIRST.get(action)
    if reason:
        params["backupId"] = new_id("bak", now_ms=int(changes.now.timestamp() * 1000))
    operation = start(changes, store, site, action, params, commit=False)
    if reason:
        new_backup(changes, site, params["backupId"], reason)
    commit_or_conflict(changes, store)
    return operation


def refuse_busy(site: dict[str, Any]) -> None:
    if site.get("pendingOperationId"):
        raise Conflict(
            f"Operation {site['pendingOperationId']} is still running on site {site['siteId']}; "
            "wait for it or cancel it.",
            code="OPERATION_IN_PROGRESS",
            hint=Hint(
                http=f"GET /v1.0/operations/{site['pendingOperationId']}",
                cli=f"bbws operations watch {site['pendingOperationId']}",
            ),
            operationId=site["pendingOperationId"],
        )


def mark_busy(
    changes: Changes,
    site: dict[str, Any],
    action: SiteAction,
    operation_id: str,
    *,
    role: str = "self",
    created: bool = False,
) -> dict[str, Any]:
    """The site held by an operation: its working status shown, what to go back to kept (added to `changes`)."""
    fields = {"pendingOperationId": operation_id, "pendingAction": action.value, "pendingRole": role}
    if created:  # a new record: written once, already held
        item = {**site, **fields}
        changes.put(item, NOT_EXISTS)
        changes.audit(
            tenant_id=site["tenantId"],
            action="site.requested",
            resource_type="site",
            resource_id=site["siteId"],
            after=item,
        )
        return item
    status = SiteStatus(site["status"])
    after = moved(changes, site, status=check_action(action, status).value, previousStatus=status.value, **fields)
    changes.put(after, version_is(site["version"]))  # guards: two actions racing for the same site
    return after


Held = tuple[dict[str, Any], SiteAction, str, bool]  # (site, action, role, created)


def start(
    changes: Changes,
    store: ItemStore,
    site: dict[str, Any],
    action: SiteAction,
    params: dict[str, Any],
    *,
    created: bool = False,
    commit: bool = True,
    others: list[Held] | None = None,
) -> dict[str, Any]:
    """One Operation holding the job's site (and the other sites it touches), and the job, in one changeset."""
    operation = start_operation(
        changes,
        tenant_id=site["tenantId"],
        operation_type=OPERATION_TYPES[action],
        resource_type="site",
        resource_id=site["siteId"],
    )
    op_id = operation["operationId"]
    for held, held_action, role, new in [(site, action, "self", created), *(others or [])]:
        if new:
            claim_subdomain(changes, environment=held["environment"], subdomain=held["subdomain"], site=held)
        mark_busy(changes, held, held_action, op_id, role=role, created=new)
    enqueue(
        changes,
        Job(
            name=JOBS[action],
            tenant_id=site["tenantId"],
            operation_id=op_id,
            payload={"siteId": site["siteId"], "action": action.value, "params": params},
        ),
    )
    if commit:
        commit_or_conflict(changes, store)
    return operation


def commit_or_conflict(changes: Changes, store: ItemStore) -> None:
    try:
        changes.commit(store)
    except ConditionFailed as exc:
        taken = keys.subdomain_of_lock(exc.pk)
        if taken is not None:
            raise subdomain_taken(*taken) from exc
        if exc.sk.startswith(keys.SITE_COUNT_PREFIX):
            raise Conflict("Another site was created meanwhile; retry.", code="CONFLICT") from exc
        raise Conflict("The site changed meanwhile; read it again and retry.") from exc


def list_sites(
    *,
    store: ItemStore,
    tenant_id: str,
    limit: int,
    start_after: dict[str, str] | None,
    environment: str | None = None,
    status: str | None = None,
) -> Any:
    """One page of the tenant's sites, through the index that matches the filters (never a filtered scan)."""
    if environment and status:
        partition, index = keys.sites_by_environment_and_status(tenant_id, environment, status), "GSI3"
    elif environment:
        partition, index = keys.sites_by_environment(tenant_id, environment), "GSI1"
    elif status:
        partition, index = keys.sites_by_status(tenant_id, status), "GSI2"
    else:
        return store.query(
            tenant_keys.tenant_pk(tenant_id), sk_prefix=keys.SITE_PREFIX, limit=limit, start_after=start_after
        )
    return store.query(partition, index=index, limit=limit, start_after=start_after)


def resolve_template(*, store: ItemStore, ref: str | None, platform_admin: bool) -> dict[str, Any] | None:
    """The template version a request names (TEMP_001 unknown, TEMP_002 not published)."""
    if not ref:
        return None
    return templates.find_usable(store=store, ref=ref, platform_admin=platform_admin)


def resolve_plugins(
    *, store: ItemStore, settings: Any, refs: list[str], wordpress_version: str
) -> list[dict[str, Any]]:
    """Catalog entries for `plg_...` ids or `slug[@version]`, each checked installable (PLUG_00x) before anything
    is queued."""
    entries = []
    for ref in refs:
        if ref.startswith("plg_"):
            entry = catalog.get_entry(store=store, plugin_id=ref)
        else:
            slug, _, version = ref.partition("@")
            entry = catalog.find_entry(store=store, kind="plugin", slug=slug, version=version or None)
        catalog.check_installable(settings=settings, entry=entry, wordpress_version=wordpress_version)
        entries.append(entry)
    return entries
