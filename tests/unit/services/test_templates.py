"""Templates on their service functions: making one from a site, publishing and archiving versions, deleting,
which version a site may be built from (and by whom), applying one to a site, and archives that are verified."""

from __future__ import annotations

from typing import Any

import pytest

from bbws.core.errors import ApiError
from bbws.sites import backups, requests
from bbws.sites import service as sites
from bbws.sites.models import SiteAction, SiteStatus
from bbws.sites.templating import create_template, request_version
from bbws.templates import records, service
from bbws.templates.archives import TemplateArchiveCorrupt, TemplateArchiveMissing, archive_for
from bbws.templates.models import TemplateStatus
from tests.support.api import rid
from tests.unit.services.conftest import Services

T = TemplateStatus


def code_of(call: Any, **kwargs: Any) -> tuple[int, str]:
    with pytest.raises(ApiError) as caught:
        call(**kwargs)
    return caught.value.status, caught.value.code


def move(svc: Services, template: dict[str, Any], target: TemplateStatus, number: int | None = None) -> Any:
    return service.move_version(
        store=svc.store, clock=svc.clock, actor=svc.actor, template=svc.template_now(template), number=number,
        target=target,
    )


def usable(svc: Services, ref: str, *, admin: bool = False) -> dict[str, Any]:
    return service.find_usable(store=svc.store, ref=ref, platform_admin=admin)


@pytest.fixture
def source(svc: Services) -> dict[str, Any]:
    return svc.site(svc.tenant("dev"))


# -- making ----------------------------------------------------------------------------------------------------
def test_a_template_made_from_a_site_has_one_draft_version_with_its_archive(svc: Services, source: Any) -> None:
    template = svc.template(source)
    assert (template["status"], template["versionStatuses"], template["pendingOperationId"]) == (
        "DRAFT",
        {"1": "DRAFT"},
        None,
    )
    version = records.get_version(store=svc.store, template_id=template["templateId"], number=1)
    assert version is not None and version["checksum"] and version["sourceSiteId"] == source["siteId"]
    assert version["themeSlug"] == "twentytwentythree"


def test_a_template_is_made_from_an_active_site_only(svc: Services, source: Any) -> None:
    sites.request_action(store=svc.store, clock=svc.clock, actor=svc.actor, site=source, action=SiteAction.SUSPEND)
    svc.run_jobs()
    slug = rid("t")
    fields = {"slug": slug, "name": "Made"}
    assert code_of(
        create_template, store=svc.store, clock=svc.clock, actor=svc.actor, fields=fields,
        tenant_id=source["tenantId"], site_id=source["siteId"],
    ) == (422, "SITE_NOT_ACTIVE")
    assert records.find_template(store=svc.store, ref=records.parse_ref(slug)) is None  # the slug stays free


def test_a_template_slug_names_one_template(svc: Services, source: Any) -> None:
    for slug in (svc.template(source)["slug"], "business"):  # the built-in ones are seeded with the container
        assert code_of(
            create_template, store=svc.store, clock=svc.clock, actor=svc.actor, fields={"slug": slug, "name": "X"},
            tenant_id=source["tenantId"], site_id=source["siteId"],
        ) == (409, "TEMPLATE_SLUG_TAKEN")


def test_one_version_is_made_at_a_time(svc: Services, source: Any) -> None:
    template = svc.template(source)
    request_version(store=svc.store, clock=svc.clock, actor=svc.actor, template=template,
                    tenant_id=source["tenantId"], site_id=source["siteId"])
    busy = svc.template_now(template)
    assert code_of(
        request_version, store=svc.store, clock=svc.clock, actor=svc.actor, template=busy,
        tenant_id=source["tenantId"], site_id=source["siteId"],
    ) == (409, "OPERATION_IN_PROGRESS")
    svc.run_jobs()
    done = svc.template_now(template)
    assert done is not None and done["versionStatuses"] == {"1": "DRAFT", "2": "DRAFT"}


# -- versions --------------------------------------------------------------------------------------------------
def test_publishing_without_a_number_publishes_the_newest_draft(svc: Services, source: Any) -> None:
    template = svc.template(source)
    moved, version = move(svc, template, T.PUBLISHED)
    assert (version["number"], version["status"], version["publishedAt"]) == (1, "PUBLISHED", svc.clock_iso())
    assert (moved["status"], moved["currentVersion"]) == ("PUBLISHED", 1)


@pytest.mark.parametrize(("first", "then"), [(T.PUBLISHED, T.PUBLISHED), (None, T.ARCHIVED)])
def test_a_version_moves_only_along_its_state_machine(
    svc: Services, source: Any, first: TemplateStatus | None, then: TemplateStatus
) -> None:
    template = svc.template(source)
    if first is not None:
        move(svc, template, first, 1)
    current = svc.template_now(template)
    with pytest.raises(ApiError) as caught:
        move(svc, template, then, 1)
    assert (caught.value.status, caught.value.code) == (422, "INVALID_STATUS_TRANSITION")
    assert svc.template_now(template) == current


def test_archiving_without_a_number_archives_the_current_version(svc: Services, source: Any) -> None:
    template = svc.template(source)
    with pytest.raises(ApiError) as caught:
        move(svc, template, T.ARCHIVED)  # nothing is published yet
    assert caught.value.code == "INVALID_STATUS_TRANSITION" and "no version to archive" in caught.value.detail
    move(svc, template, T.PUBLISHED)
    moved, version = move(svc, template, T.ARCHIVED)
    assert version["status"] == "ARCHIVED" and (moved["status"], moved["currentVersion"]) == ("ARCHIVED", None)


def test_an_unknown_version_is_not_found(svc: Services, source: Any) -> None:
    with pytest.raises(ApiError) as caught:
        move(svc, svc.template(source), T.PUBLISHED, 7)
    assert (caught.value.status, caught.value.code) == (404, "TEMP_001")


def test_a_template_with_a_published_version_cannot_be_deleted(svc: Services, source: Any) -> None:
    template = svc.template(source)
    move(svc, template, T.PUBLISHED)
    current = svc.template_now(template)
    assert code_of(
        service.delete_template, store=svc.store, clock=svc.clock, actor=svc.actor, template=current
    ) == (409, "TEMPLATE_PUBLISHED")
    move(svc, template, T.ARCHIVED)
    current = svc.template_now(template)
    service.delete_template(store=svc.store, clock=svc.clock, actor=svc.actor, template=current)
    assert records.get_template(store=svc.store, template_id=template["templateId"]) is None
    svc.run_jobs()  # PurgeTemplate
    assert service.template_children(store=svc.store, template_id=template["templateId"]) == []
    assert svc.template(source, slug=template["slug"])["templateId"] != template["templateId"]  # the slug is free


def test_an_update_of_a_stale_template_is_a_conflict(svc: Services, source: Any) -> None:
    template = svc.template(source)
    service.update_template(store=svc.store, clock=svc.clock, actor=svc.actor, template=template,
                            fields={"name": "First"})
    assert code_of(
        service.update_template, store=svc.store, clock=svc.clock, actor=svc.actor, template=template,
        fields={"name": "Second"},
    ) == (409, "CONFLICT")
    assert svc.template_now(template)["name"] == "First"


# -- which version a site is built from ----------------------------------------------------------------------------
def test_a_draft_only_template_is_hidden_from_users_and_usable_by_admins_by_number(svc: Services, source: Any) -> None:
    slug = svc.template(source)["slug"]
    assert code_of(service.find_usable, store=svc.store, ref=slug) == (404, "TEMP_001")
    assert code_of(service.find_usable, store=svc.store, ref=f"{slug}@1") == (404, "TEMP_001")
    assert code_of(service.find_usable, store=svc.store, ref=slug, platform_admin=True) == (422, "TEMP_002")
    assert usable(svc, f"{slug}@1", admin=True)["versionStatus"] == "DRAFT"


def test_users_get_the_newest_published_version(svc: Services, source: Any) -> None:
    template = svc.template(source)
    move(svc, template, T.PUBLISHED, 1)
    request_version(store=svc.store, clock=svc.clock, actor=svc.actor,
                    template=svc.template_now(template),
                    tenant_id=source["tenantId"], site_id=source["siteId"])
    svc.run_jobs()
    assert usable(svc, template["slug"])["version"] == 1  # version 2 is a draft
    assert code_of(service.find_usable, store=svc.store, ref=f"{template['slug']}@2") == (404, "TEMP_001")
    move(svc, template, T.PUBLISHED, 2)
    assert usable(svc, template["templateId"])["version"] == 2


def test_an_archived_version_is_not_used_even_when_named(svc: Services, source: Any) -> None:
    template = svc.template(source)
    move(svc, template, T.PUBLISHED, 1)
    move(svc, template, T.ARCHIVED, 1)
    ref = f"{template['slug']}@1"
    assert code_of(service.find_usable, store=svc.store, ref=ref, platform_admin=True) == (422, "TEMP_002")
    assert code_of(service.find_usable, store=svc.store, ref=ref) == (404, "TEMP_001")


@pytest.mark.parametrize("ref", ["nothing-here", "Not A Ref", "tpl_00000000000000000000000000", "x" * 200])
def test_a_reference_naming_no_template_is_not_found(svc: Services, ref: str) -> None:
    assert code_of(service.find_usable, store=svc.store, ref=ref, platform_admin=True) == (404, "TEMP_001")


def test_a_site_made_from_a_template_counts_one_use(svc: Services, source: Any) -> None:
    template = svc.template(source)
    move(svc, template, T.PUBLISHED)
    operation = sites.create_site(
        store=svc.store, clock=svc.clock, actor=svc.actor,
        tenant=svc.tenant_of(source["tenantId"]),
        body={"siteName": "From", "subdomain": rid("s").replace("-", ""), "environment": "dev"},
        node_path="", template=usable(svc, template["slug"]), plugins=[],
    )
    svc.run_jobs()
    made = svc.reread(operation["resourceId"], source["tenantId"])
    assert (made["status"], made["templateId"]) == (SiteStatus.ACTIVE, template["templateId"])
    assert svc.template_now(template)["usageCount"] == 1


# -- applying one to a site ----------------------------------------------------------------------------------------
def apply(svc: Services, site: dict[str, Any], ref: str, role: str = "ADMIN") -> dict[str, Any]:
    return requests.request_apply_template(
        store=svc.store, clock=svc.clock, actor=svc.actor, authz=svc.authz(role), site=site, template_ref=ref
    )


def test_a_template_is_applied_to_an_active_site_only_checked_before_the_template(svc: Services, source: Any) -> None:
    sites.request_action(store=svc.store, clock=svc.clock, actor=svc.actor, site=source, action=SiteAction.SUSPEND)
    svc.run_jobs()
    with pytest.raises(ApiError) as caught:
        apply(svc, svc.fresh(source), "no-such-template")
    assert caught.value.code == "SITE_005"


def test_an_unusable_template_holds_nothing(svc: Services, source: Any) -> None:
    draft = svc.template(source)
    for ref, role, code in (("no-such-template", "ADMIN", "TEMP_001"), (draft["slug"], "OPERATOR", "TEMP_001"),
                            (draft["slug"], "ADMIN", "TEMP_002")):
        with pytest.raises(ApiError) as caught:
            apply(svc, svc.fresh(source), ref, role)
        assert caught.value.code == code
    after = svc.fresh(source)
    assert after["pendingOperationId"] is None
    assert backups.list_backups(store=svc.store, site=after, limit=5).items == []


def test_applying_a_template_backs_the_site_up_first_and_records_the_template(svc: Services, source: Any) -> None:
    template = svc.template(source)
    move(svc, template, T.PUBLISHED)
    target = svc.site(svc.tenant("dev"))
    operation = apply(svc, target, template["slug"], role="OPERATOR")
    [backup] = backups.list_backups(store=svc.store, site=target, limit=5).items
    assert backup["reason"] == "pre-template" and svc.fresh(target)["status"] == SiteStatus.UPDATING
    svc.run_jobs()
    assert svc.operation(operation["operationId"])["status"] == "COMPLETED"
    after = svc.fresh(target)
    assert (after["status"], after["templateId"]) == (SiteStatus.ACTIVE, template["templateId"])


# -- archives ------------------------------------------------------------------------------------------------------
def test_a_template_archive_is_handed_out_only_when_it_matches_its_checksum(svc: Services, source: Any) -> None:
    template = svc.template(source)
    record = usable(svc, f"{template['slug']}@1", admin=True)
    work = svc.root / rid("work")
    copy = archive_for(container=svc.container, template=record, work_dir=work)
    assert copy.is_file()
    stored = svc.container.artifacts.local_path(record["artifactKey"])
    assert stored is not None
    stored.write_bytes(b"changed")
    with pytest.raises(TemplateArchiveCorrupt):
        archive_for(container=svc.container, template=record, work_dir=work)
    svc.container.artifacts.delete(record["artifactKey"])
    with pytest.raises(TemplateArchiveMissing):
        archive_for(container=svc.container, template=record, work_dir=work)
