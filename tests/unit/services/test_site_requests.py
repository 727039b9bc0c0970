"""Site requests (create, update, suspend, delete, clone): subdomains, quotas, instances, busy sites, and what
each request writes, called on the service functions directly."""

from __future__ import annotations

from typing import Any

import pytest

from bbws.core.authorizer import Authorizer
from bbws.core.errors import ApiError, Conflict, InvalidTransition, NotFound, UnprocessableEntity, ValidationFailed
from bbws.instances import service as instances
from bbws.instances.models import InstanceAction
from bbws.plugins.catalog import update_entry
from bbws.sites import backups, keys, requests, service
from bbws.sites.models import SiteAction, SiteStatus
from bbws.sites.records import get_site, tenant_sites
from bbws.tenants import keys as tenant_keys
from bbws.tenants.lifecycle import request_lifecycle
from bbws.tenants.models import LifecycleAction
from bbws.tenants.service import get_tenant
from tests.support.api import rid
from tests.unit.services.conftest import Services


def refused(call: Any, *args: Any, **kwargs: Any) -> ApiError:
    with pytest.raises(ApiError) as caught:
        call(*args, **kwargs)
    return caught.value


def subdomain() -> str:
    return rid("s").replace("-", "")


def site_count(svc: Services, tenant: dict[str, Any], env: str) -> int:
    counter = svc.store.get(tenant_keys.tenant_pk(tenant["tenantId"]), keys.site_count_sk(env))
    return int((counter or {}).get("count", 0))


def owner(svc: Services, env: str, name: str) -> str | None:
    """The site holding a subdomain in an environment."""
    return (service.subdomain_owner(svc.store, env, name) or {}).get("siteId")


def act(svc: Services, site: dict[str, Any], action: SiteAction, **params: Any) -> dict[str, Any]:
    return service.request_action(
        store=svc.store, clock=svc.clock, actor=svc.actor, site=site, action=action, params=params or None
    )


# -- create ----------------------------------------------------------------------------------------------------
def test_a_site_request_writes_the_held_site_its_subdomain_guard_its_quota_count_and_the_operation(
    svc: Services,
) -> None:
    tenant = svc.tenant("dev")
    name = subdomain()
    operation = svc.request_site(tenant, subdomain=name)
    site = get_site(store=svc.store, tenant_id=tenant["tenantId"], site_id=operation["resourceId"])
    assert (site["status"], site["pendingOperationId"], site["pendingAction"]) == (
        SiteStatus.PROVISIONING,
        operation["operationId"],
        SiteAction.CREATE,
    )
    assert site["lineageId"] == site["siteId"] and site["subdomain"] == name
    assert owner(svc, "dev", name) == site["siteId"]
    assert site_count(svc, tenant, "dev") == 1
    assert svc.operation(operation["operationId"])["status"] == "PENDING"


def test_a_requested_site_is_active_once_its_job_ran(svc: Services) -> None:
    tenant = svc.tenant("dev")
    site = svc.site(tenant)
    assert site["status"] == SiteStatus.ACTIVE and site["pendingOperationId"] is None
    assert site["url"] and (tenant["tenantId"], "dev", site["key"]) in svc.driver.sites


@pytest.mark.parametrize("name", ["www", "admin", "prod", "wp-admin"])
def test_a_reserved_subdomain_is_refused_and_nothing_is_written(svc: Services, name: str) -> None:
    tenant = svc.tenant("dev")
    error = refused(svc.request_site, tenant, subdomain=name)
    assert isinstance(error, ValidationFailed) and error.code == "SITE_001"
    assert "reserved" in error.errors[0]["message"]  # type: ignore[index]
    assert list(tenant_sites(svc.store, tenant["tenantId"])) == []
    assert site_count(svc, tenant, "dev") == 0


@pytest.mark.parametrize("name", ["Upper", "-edge", "edge-", "under_score", "xn--punycode", "a" * 64])
def test_a_subdomain_that_is_not_a_plain_dns_label_is_refused(svc: Services, name: str) -> None:
    error = refused(svc.request_site, svc.tenant("dev"), subdomain=name)
    assert (error.status, error.code) == (400, "SITE_001")


def test_a_subdomain_taken_in_the_environment_is_refused_even_across_tenants(svc: Services) -> None:
    first, second = svc.tenant("dev"), svc.tenant("dev")
    name = subdomain()
    svc.request_site(first, subdomain=name)
    error = refused(svc.request_site, second, subdomain=name)
    assert isinstance(error, Conflict) and error.code == "SITE_003"
    assert error.extra == {"subdomain": name, "environment": "dev"}
    assert list(tenant_sites(svc.store, second["tenantId"])) == [] and site_count(svc, second, "dev") == 0


def test_the_same_subdomain_is_free_in_another_environment(svc: Services) -> None:
    tenant = svc.tenant("dev", "sit")
    name = subdomain()
    svc.request_site(tenant, "dev", subdomain=name)
    operation = svc.request_site(tenant, "sit", subdomain=name)
    assert owner(svc, "sit", name) == operation["resourceId"]


def test_the_tier_quota_refuses_one_more_site_per_environment(svc: Services) -> None:
    tenant = svc.tenant("dev", "sit")
    for _ in range(5):  # STANDARD allows five per environment
        svc.request_site(tenant, "dev")
    error = refused(svc.request_site, tenant, "dev")
    assert isinstance(error, UnprocessableEntity) and error.code == "SITE_004"
    assert error.extra["quota"] == 5 and error.extra["environment"] == "dev"
    assert site_count(svc, tenant, "dev") == 5 and len(list(tenant_sites(svc.store, tenant["tenantId"]))) == 5
    svc.request_site(tenant, "sit")  # the quota is per environment


def test_a_larger_tier_has_a_larger_quota(svc: Services) -> None:
    tenant = svc.tenant("dev", tier="PROFESSIONAL")
    for _ in range(6):
        svc.request_site(tenant, "dev")
    assert site_count(svc, tenant, "dev") == 6


def test_a_site_needs_an_instance_in_its_environment(svc: Services) -> None:
    tenant = svc.tenant("dev")
    error = refused(svc.request_site, tenant, "sit")
    assert isinstance(error, Conflict) and error.code == "INSTANCE_NOT_FOUND"
    assert error.hint is not None and "--env sit" in error.hint.cli


def test_a_site_needs_its_instance_to_be_active(svc: Services) -> None:
    tenant = svc.tenant("dev")
    instance = instances.list_instances(store=svc.store, tenant_id=tenant["tenantId"])[0]
    instances.request_action(
        store=svc.store, clock=svc.clock, actor=svc.actor, instance=instance, action=InstanceAction.STOP
    )
    svc.run_jobs()
    error = refused(svc.request_site, tenant, "dev")
    assert (error.code, error.extra["instanceStatus"]) == ("INSTANCE_NOT_ACTIVE", "SUSPENDED")
    assert error.hint is not None and "instances start" in error.hint.cli


def test_a_parked_tenant_gets_no_new_site(svc: Services) -> None:
    tenant = svc.tenant("dev")
    request_lifecycle(store=svc.store, clock=svc.clock, actor=svc.actor, tenant=tenant, action=LifecycleAction.PARK)
    svc.run_jobs()
    parked = get_tenant(store=svc.store, tenant_id=tenant["tenantId"])
    error = refused(svc.request_site, parked, "dev")
    assert (error.code, error.extra["tenantStatus"]) == ("TENANT_NOT_ACTIVE", "PARKED")


def test_the_plugins_named_for_a_new_site_are_checked_before_anything_is_queued(svc: Services) -> None:
    entry = svc.plugin(version="1.0.0")
    update_entry(store=svc.store, clock=svc.clock, actor=svc.actor, entry=svc.plugin(version="2.0.0"), blocklisted=True)
    for refs, code in ((["bbws-hello@9.9"], "PLUG_001"), (["nothing"], "PLUG_001"), (["bbws-hello@2.0.0"], "PLUG_002")):
        error = refused(
            service.resolve_plugins, store=svc.store, settings=svc.settings, refs=refs, wordpress_version="6.1.9"
        )
        assert error.code == code
    found = service.resolve_plugins(
        store=svc.store, settings=svc.settings, refs=[entry["pluginId"], "bbws-hello@1.0.0"], wordpress_version="6.1.9"
    )
    assert [e["pluginId"] for e in found] == [entry["pluginId"]] * 2


def test_a_new_site_gets_its_catalog_plugins_installed_and_declared(svc: Services) -> None:
    tenant = svc.tenant("dev")
    entry = svc.plugin(version="1.0.0")
    operation = service.create_site(
        store=svc.store,
        clock=svc.clock,
        actor=svc.actor,
        tenant=tenant,
        body={"siteName": "With plugins", "subdomain": subdomain(), "environment": "dev"},
        node_path="",
        template=None,
        plugins=[entry],
    )
    svc.run_jobs()
    site = svc.reread(operation["resourceId"], tenant["tenantId"])
    assert site["status"] == SiteStatus.ACTIVE
    assert site["declared"]["plugins"]["bbws-hello"]["pluginId"] == entry["pluginId"]
    assert svc.driver.sites[(tenant["tenantId"], "dev", site["key"])]["plugins"]["bbws-hello"]["version"] == "1.0.0"


# -- actions on a site -----------------------------------------------------------------------------------------
def test_a_busy_site_refuses_another_action_with_operation_in_progress(svc: Services) -> None:
    site = svc.site(svc.tenant("dev"))
    first = act(svc, site, SiteAction.UPDATE, siteName="New")
    held = svc.fresh(site)
    error = refused(act, svc, held, SiteAction.BACKUP)
    assert isinstance(error, Conflict) and error.code == "OPERATION_IN_PROGRESS"
    assert error.extra["operationId"] == first["operationId"]
    assert error.hint is not None and first["operationId"] in error.hint.http
    assert svc.fresh(site)["version"] == held["version"]  # nothing was written


def test_an_action_on_a_stale_read_of_the_site_is_a_conflict(svc: Services) -> None:
    site = svc.site(svc.tenant("dev"))
    act(svc, site, SiteAction.UPDATE, siteName="New")
    error = refused(act, svc, site, SiteAction.SUSPEND)  # `site` was read before the update was asked for
    assert isinstance(error, Conflict) and error.code == "CONFLICT"


def test_an_update_holds_the_site_updating_until_its_job_ends(svc: Services) -> None:
    site = svc.site(svc.tenant("dev"))
    operation = act(svc, site, SiteAction.UPDATE, siteName="Renamed")
    held = svc.fresh(site)
    assert (held["status"], held["previousStatus"], held["pendingAction"]) == ("UPDATING", "ACTIVE", "update")
    svc.run_jobs()
    done = svc.fresh(site)
    assert (done["status"], done["pendingOperationId"], done["siteName"]) == ("ACTIVE", None, "Renamed")
    assert svc.operation(operation["operationId"])["status"] == "COMPLETED"


def test_a_suspended_site_cannot_be_updated_or_suspended_again(svc: Services) -> None:
    site = svc.site(svc.tenant("dev"))
    act(svc, site, SiteAction.SUSPEND)
    svc.run_jobs()
    suspended = svc.fresh(site)
    assert suspended["status"] == SiteStatus.SUSPENDED
    for action in (SiteAction.UPDATE, SiteAction.SUSPEND, SiteAction.CLONE):
        error = refused(act, svc, suspended, action)
        assert isinstance(error, InvalidTransition) and error.code == "SITE_005"
    assert svc.fresh(site)["version"] == suspended["version"]


def test_a_delete_request_records_its_pre_delete_backup_and_the_site_ends_deleted(svc: Services) -> None:
    tenant = svc.tenant("dev")
    site = svc.site(tenant)
    operation = act(svc, site, SiteAction.DELETE)
    held = svc.fresh(site)
    assert held["status"] == SiteStatus.DEPROVISIONING
    [backup] = backups.list_backups(store=svc.store, site=site, limit=10).items
    assert (backup["status"], backup["reason"]) == ("PENDING", "pre-delete")
    svc.run_jobs()
    assert svc.operation(operation["operationId"])["status"] == "COMPLETED"
    assert svc.fresh(site)["status"] == SiteStatus.DELETED
    assert service.subdomain_owner(svc.store, "dev", site["subdomain"]) is None  # free for a new site
    assert site_count(svc, tenant, "dev") == 0
    assert backups.get_backup(store=svc.store, site=site, backup_id=backup["backupId"])["status"] == "COMPLETED"


# -- clone -----------------------------------------------------------------------------------------------------
def clone(
    svc: Services, source: dict[str, Any], name: str, env: str | None = None, authz: Authorizer | None = None
) -> Any:
    return requests.request_clone(
        store=svc.store,
        clock=svc.clock,
        actor=svc.actor,
        authz=authz or svc.authz(),
        source=source,
        subdomain=name,
        site_name="Copy",
        environment=env,
    )


def test_a_clone_is_a_new_lineage_and_holds_its_source_until_it_is_made(svc: Services) -> None:
    tenant = svc.tenant("dev")
    source = svc.site(tenant)
    operation = clone(svc, source, subdomain())
    copy = svc.reread(operation["resourceId"], tenant["tenantId"])
    held = svc.fresh(source)
    assert copy["clonedFrom"] == source["siteId"] and copy["lineageId"] == copy["siteId"] != source["lineageId"]
    assert (held["status"], held["pendingRole"]) == ("CLONING", "source")
    assert site_count(svc, tenant, "dev") == 2
    svc.run_jobs()
    assert svc.fresh(source)["status"] == svc.fresh(copy)["status"] == SiteStatus.ACTIVE


def test_a_clone_into_a_taken_subdomain_holds_nothing(svc: Services) -> None:
    tenant = svc.tenant("dev")
    source, other = svc.site(tenant), svc.site(tenant)
    error = refused(clone, svc, source, other["subdomain"])
    assert error.code == "SITE_003"
    assert svc.fresh(source)["version"] == source["version"] and site_count(svc, tenant, "dev") == 2


def test_a_busy_source_cannot_be_cloned(svc: Services) -> None:
    tenant = svc.tenant("dev")
    source = svc.site(tenant)
    act(svc, source, SiteAction.BACKUP)
    error = refused(clone, svc, svc.fresh(source), subdomain())
    assert error.code == "OPERATION_IN_PROGRESS" and site_count(svc, tenant, "dev") == 1


# -- isolation -------------------------------------------------------------------------------------------------
def test_a_tenants_site_is_not_found_under_another_tenant(svc: Services) -> None:
    mine, theirs = svc.tenant("dev"), svc.tenant("dev")
    site = svc.site(theirs)
    error = refused(get_site, store=svc.store, tenant_id=mine["tenantId"], site_id=site["siteId"])
    assert isinstance(error, NotFound) and error.code == "SITE_002"


@pytest.mark.parametrize("filters", [{}, {"environment": "dev"}, {"status": "ACTIVE"}, {"environment": "dev",
                                                                                          "status": "ACTIVE"}])
def test_listing_sites_returns_only_the_tenants_own(svc: Services, filters: dict[str, str]) -> None:
    mine, theirs = svc.tenant("dev"), svc.tenant("dev")
    own = {svc.site(mine)["siteId"], svc.site(mine)["siteId"]}
    svc.site(theirs)
    page = service.list_sites(store=svc.store, tenant_id=mine["tenantId"], limit=50, start_after=None, **filters)
    assert {s["siteId"] for s in page.items} == own
    assert {s["tenantId"] for s in page.items} == {mine["tenantId"]}
