"""The rules the site routes used to apply themselves now live in the services the routes call: promotion (the
caller's role on the target, the plan and its source instance, the dry run), clone and create (the role in the
environment the site goes to), restore (a COMPLETED backup) and applying a template (the site's state first)."""

from __future__ import annotations

import pytest

from bbws.core.errors import ApiError, Forbidden
from bbws.sites import backups, readiness, requests, service
from bbws.sites.models import SiteAction
from tests.support.api import rid
from tests.unit.services.conftest import Services


def test_the_order_rule_answers_before_the_callers_role(svc: Services) -> None:
    tenant = svc.tenant("dev", "sit")
    source = svc.site(tenant)
    viewer = svc.member(tenant, "VIEWER")
    with pytest.raises(ApiError) as refused:
        readiness.promote(container=svc.container, authz=viewer, actor=svc.actor, source=source, target_env="prod")
    assert refused.value.code == "SITE_006"


def test_a_promotion_needs_the_role_for_the_target_environment(svc: Services) -> None:
    tenant = svc.tenant("dev", "sit")
    source = svc.site(tenant)
    with pytest.raises(Forbidden):
        readiness.promote(
            container=svc.container, authz=svc.member(tenant, "VIEWER"), actor=svc.actor, source=source,
            target_env="sit",
        )
    assert svc.fresh(source).get("pendingOperationId") is None
    operation = readiness.promote(
        container=svc.container, authz=svc.member(tenant, "OPERATOR"), actor=svc.actor, source=source,
        target_env="sit",
    )
    assert operation["operationType"] == "SITE_PROMOTE" and operation["status"] == "PENDING"


def test_the_dry_run_lists_a_missing_role_with_the_plan_and_changes_nothing(svc: Services) -> None:
    tenant = svc.tenant("dev", "sit")
    source = svc.site(tenant)
    viewer = svc.member(tenant, "VIEWER")
    ready = readiness.preview(container=svc.container, authz=viewer, source=source, target_env="sit")
    assert [error.code for error in ready.blockers] == ["FORBIDDEN"]
    assert ready.plan["tables"] and ready.plan["versions"] is not None
    assert svc.fresh(source).get("pendingOperationId") is None


def test_a_dry_run_out_of_order_has_no_plan(svc: Services) -> None:
    tenant = svc.tenant("dev", "sit")
    ready = readiness.preview(container=svc.container, authz=svc.authz(), source=svc.site(tenant), target_env="prod")
    assert [error.code for error in ready.blockers] == ["SITE_006"] and set(ready.plan.values()) == {None}


def test_a_plan_needs_the_sources_instance(svc: Services) -> None:
    tenant = svc.tenant("dev", "sit")
    source = svc.site(tenant)
    gone = {**source, "environment": "prod"}  # no instance serves prod for this tenant
    with pytest.raises(ApiError) as refused:
        readiness.plan_for(container=svc.container, source=gone, target=None)
    assert refused.value.code == "INSTANCE_NOT_FOUND" and refused.value.status == 409


def test_a_clone_into_another_environment_needs_the_right_to_write_sites_there(svc: Services) -> None:
    tenant = svc.tenant("dev", "sit")
    source = svc.site(tenant)
    with pytest.raises(Forbidden):
        requests.request_clone(
            store=svc.store, clock=svc.clock, actor=svc.actor, authz=svc.member(tenant, "VIEWER"), source=source,
            subdomain=rid("c").replace("-", ""), site_name="Copy", environment="sit",
        )


def test_a_site_is_made_only_by_a_caller_who_may_write_sites_in_that_environment(svc: Services) -> None:
    tenant = svc.tenant("dev")
    body = {"siteName": "Acme", "subdomain": rid("s").replace("-", ""), "environment": "dev", "plugins": []}
    with pytest.raises(Forbidden):
        requests.request_create(
            store=svc.store, settings=svc.settings, clock=svc.clock, actor=svc.actor,
            authz=svc.member(tenant, "VIEWER"), tenant_id=tenant["tenantId"], body=body,
        )
    operation = requests.request_create(
        store=svc.store, settings=svc.settings, clock=svc.clock, actor=svc.actor, authz=svc.authz(),
        tenant_id=tenant["tenantId"], body=body,
    )
    assert operation["operationType"] == "SITE_CREATE"


def test_a_site_for_an_unknown_team_is_node_not_found(svc: Services) -> None:
    tenant = svc.tenant("dev")
    team = f"team_{'0' * 26}"
    body = {"siteName": "Acme", "subdomain": rid("s").replace("-", ""), "environment": "dev", "teamId": team}
    with pytest.raises(ApiError) as refused:
        requests.request_create(
            store=svc.store, settings=svc.settings, clock=svc.clock, actor=svc.actor, authz=svc.authz(),
            tenant_id=tenant["tenantId"], body=body,
        )
    assert refused.value.code == "NODE_NOT_FOUND"


def test_only_a_completed_backup_is_restored(svc: Services) -> None:
    tenant = svc.tenant("dev")
    site = svc.site(tenant)
    operation = service.request_action(
        store=svc.store, clock=svc.clock, actor=svc.actor, site=site, action=SiteAction.BACKUP
    )
    pending = backups.list_backups(store=svc.store, site=site, limit=1).items[0]
    assert operation["status"] == "PENDING" and pending["status"] == "PENDING"
    with pytest.raises(ApiError) as refused:
        requests.request_restore(
            store=svc.store, clock=svc.clock, actor=svc.actor, site=svc.fresh(site), backup_id=pending["backupId"]
        )
    assert refused.value.code == "BACKUP_NOT_COMPLETED"
    assert refused.value.detail == f"Backup {pending['backupId']} is PENDING."


def test_a_template_is_applied_only_to_a_site_whose_state_allows_it_checked_before_the_template(
    svc: Services,
) -> None:
    tenant = svc.tenant("dev")
    site = svc.site(tenant)
    service.request_action(store=svc.store, clock=svc.clock, actor=svc.actor, site=site, action=SiteAction.SUSPEND)
    svc.run_jobs()
    with pytest.raises(ApiError) as refused:
        requests.request_apply_template(
            store=svc.store, clock=svc.clock, actor=svc.actor, authz=svc.authz(), site=svc.fresh(site),
            template_ref="no-such-template",
        )
    assert refused.value.code == "SITE_005"
