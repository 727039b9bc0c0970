"""Site backups on the service functions: what a request records, retention and pinning, restores that check
the archive first, and backups that belong to one site only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bbws.core.artifacts import sha256_of
from bbws.core.driver import DriverError
from bbws.core.errors import ApiError
from bbws.sites import backups, requests, service
from bbws.sites.context import SiteContext
from bbws.sites.models import SiteAction, SiteStatus
from bbws.sites.records import instance_spec_for
from tests.unit.services.conftest import Services


def back_up(svc: Services, site: dict[str, Any]) -> dict[str, Any]:
    """A manual backup, its job run; the backup record."""
    operation = service.request_action(
        store=svc.store, clock=svc.clock, actor=svc.actor, site=svc.fresh(site), action=SiteAction.BACKUP
    )
    svc.run_jobs()
    svc.clock.advance(seconds=1)  # backup ids (and so their order) follow the clock
    done = svc.operation(operation["operationId"])
    assert done["status"] == "COMPLETED", done
    return backups.list_backups(store=svc.store, site=site, limit=1).items[0]


def restore(svc: Services, site: dict[str, Any], backup: dict[str, Any]) -> dict[str, Any]:
    operation = requests.request_restore(
        store=svc.store, clock=svc.clock, actor=svc.actor, site=svc.fresh(site), backup_id=backup["backupId"]
    )
    svc.run_jobs()
    return svc.operation(operation["operationId"])


def test_a_backup_request_records_a_pending_manual_backup_and_keeps_the_site_active(svc: Services) -> None:
    tenant = svc.tenant("dev")
    site = svc.site(tenant)
    operation = service.request_action(
        store=svc.store, clock=svc.clock, actor=svc.actor, site=site, action=SiteAction.BACKUP
    )
    [backup] = backups.list_backups(store=svc.store, site=site, limit=5).items
    assert (backup["status"], backup["reason"], backup["pinned"]) == ("PENDING", "manual", False)
    assert backup["artifactKey"].startswith(f"backups/{tenant['tenantId'].lower()}/{site['siteId']}/")
    held = svc.fresh(site)
    assert (held["status"], held["pendingOperationId"]) == (SiteStatus.ACTIVE, operation["operationId"])


def test_a_completed_backup_records_its_archives_checksum_and_the_sites_content(svc: Services) -> None:
    site = svc.site(svc.tenant("dev"))
    backup = back_up(svc, site)
    stored = svc.container.artifacts.local_path(backup["artifactKey"])
    assert backup["status"] == "COMPLETED" and stored is not None
    assert backup["checksum"] == sha256_of(stored) and backup["size"] == stored.stat().st_size
    assert (backup["content"]["posts"], backup["content"]["pages"]) == (1, 1)


def test_a_suspended_site_can_be_backed_up_and_stays_suspended(svc: Services) -> None:
    site = svc.site(svc.tenant("dev"))
    service.request_action(store=svc.store, clock=svc.clock, actor=svc.actor, site=site, action=SiteAction.SUSPEND)
    svc.run_jobs()
    back_up(svc, site)
    assert svc.fresh(site)["status"] == SiteStatus.SUSPENDED


def test_a_deleted_site_cannot_be_backed_up(svc: Services) -> None:
    site = svc.site(svc.tenant("dev"))
    service.request_action(store=svc.store, clock=svc.clock, actor=svc.actor, site=site, action=SiteAction.DELETE)
    svc.run_jobs()
    with pytest.raises(ApiError) as caught:
        service.request_action(
            store=svc.store, clock=svc.clock, actor=svc.actor, site=svc.fresh(site), action=SiteAction.BACKUP
        )
    assert (caught.value.status, caught.value.code) == (422, "SITE_005")


@pytest.fixture
def keep_two(tmp_path: Path) -> Services:
    return Services(tmp_path, backup_retention=2)


def test_completed_backups_beyond_the_retention_are_removed_oldest_first(keep_two: Services) -> None:
    svc = keep_two
    site = svc.site(svc.tenant("dev"))
    made = [back_up(svc, site) for _ in range(3)]
    kept = backups.list_backups(store=svc.store, site=site, limit=10).items
    assert [b["backupId"] for b in kept] == [made[2]["backupId"], made[1]["backupId"]]
    assert svc.container.artifacts.local_path(made[0]["artifactKey"]) is None  # its archive went with it
    assert svc.container.artifacts.local_path(made[1]["artifactKey"]) is not None
    with pytest.raises(ApiError) as caught:
        backups.get_backup(store=svc.store, site=site, backup_id=made[0]["backupId"])
    assert caught.value.code == "BACKUP_NOT_FOUND"


def test_a_pre_promotion_backup_is_pinned_neither_counted_nor_removed(keep_two: Services) -> None:
    svc = keep_two
    tenant = svc.tenant("dev", "sit")
    source = svc.site(tenant)
    svc.promoted(source, "sit")
    second = svc.promoted(source, "sit")  # backs the existing target up first
    target = svc.reread(second["targetSiteId"], tenant["tenantId"])
    manual = [back_up(svc, target) for _ in range(3)]
    kept = backups.list_backups(store=svc.store, site=target, limit=10).items
    assert {b["backupId"] for b in kept} == {second["preBackupId"], manual[2]["backupId"], manual[1]["backupId"]}


def test_a_backup_is_found_under_its_own_site_only(svc: Services) -> None:
    mine, theirs = svc.tenant("dev"), svc.tenant("dev")
    site, sibling, foreign = svc.site(mine), svc.site(mine), svc.site(theirs)
    backup = back_up(svc, site)
    for other in (sibling, foreign):
        with pytest.raises(ApiError) as caught:
            backups.get_backup(store=svc.store, site=other, backup_id=backup["backupId"])
        assert (caught.value.status, caught.value.code) == (404, "BACKUP_NOT_FOUND")
        assert backups.list_backups(store=svc.store, site=other, limit=10).items == []


def test_a_restore_brings_the_backed_up_content_back(svc: Services) -> None:
    tenant = svc.tenant("dev")
    site = svc.site(tenant)
    backup = back_up(svc, site)
    wordpress = svc.driver.sites[(tenant["tenantId"], "dev", site["key"])]
    wordpress["posts"] += 5
    operation = restore(svc, site, backup)
    assert operation["status"] == "COMPLETED"
    assert svc.driver.sites[(tenant["tenantId"], "dev", site["key"])]["posts"] == 1
    assert svc.fresh(site)["status"] == SiteStatus.ACTIVE


def test_a_restore_refuses_an_archive_that_changed_and_leaves_the_site_as_it_was(svc: Services) -> None:
    tenant = svc.tenant("dev")
    site = svc.site(tenant)
    backup = back_up(svc, site)
    stored = svc.container.artifacts.local_path(backup["artifactKey"])
    assert stored is not None
    stored.write_bytes(stored.read_bytes() + b"changed")
    svc.driver.calls.clear()
    operation = restore(svc, site, backup)
    assert operation["status"] == "FAILED" and operation["error"]["code"] == "BACKUP_CORRUPT"
    assert "import_site" not in [c[0] for c in svc.driver.calls]
    after = svc.fresh(site)
    assert (after["status"], after["pendingOperationId"]) == (SiteStatus.ACTIVE, None)


def test_a_restore_of_a_backup_not_completed_is_refused_before_anything_is_queued(svc: Services) -> None:
    site, other = svc.site(svc.tenant("dev")), svc.site(svc.tenant("dev"))
    service.request_action(store=svc.store, clock=svc.clock, actor=svc.actor, site=site, action=SiteAction.DELETE)
    [pending] = backups.list_backups(store=svc.store, site=site, limit=1).items  # its job is not run
    for target, code in ((svc.fresh(site), "BACKUP_NOT_COMPLETED"), (other, "BACKUP_NOT_FOUND")):
        with pytest.raises(ApiError) as caught:
            requests.request_restore(
                store=svc.store, clock=svc.clock, actor=svc.actor, site=target, backup_id=pending["backupId"]
            )
        assert caught.value.code == code
    assert svc.fresh(other)["version"] == other["version"]


def test_a_restore_job_refuses_a_backup_that_is_not_completed(svc: Services) -> None:
    site = svc.site(svc.tenant("dev"))
    service.request_action(store=svc.store, clock=svc.clock, actor=svc.actor, site=site, action=SiteAction.BACKUP)
    [pending] = backups.list_backups(store=svc.store, site=site, limit=1).items
    ctx = SiteContext.of(svc.container, svc.actor, "op-test")
    with pytest.raises(DriverError) as caught:
        backups.restore(ctx, instance_spec_for(svc.store, site), site, pending)
    assert caught.value.code == "BACKUP_INVALID"
