"""What the sites service uses (find_usable, archive_for, count_use), previews, and jobs that fail or run twice,
over an in-memory runtime."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from bbws.core.driver import InstanceSpec, SiteInfo, SiteSpec
from bbws.core.errors import NotFound, UnprocessableEntity
from bbws.core.handlers import JobContext
from bbws.core.queue import Job
from bbws.sites import templating
from bbws.templates import keys, service
from bbws.templates.archives import TemplateArchiveCorrupt
from bbws.templates.platform import BUILDER, PREVIEWS, StillBuilding, give_back, once, take_lease
from tests.integration.templates.conftest import TemplateHarness
from tests.support.api import rid

REQUIRED = {"templateId", "slug", "version", "artifactKey", "checksum", "themeSlug", "includedPlugins"}


def installs(api: TemplateHarness, tenant: str, action: str = "install_site") -> int:
    return sum(1 for call in api.driver.calls if call[0] == action and call[1] == tenant)


def test_find_usable_resolves_the_newest_published_version_and_refuses_what_is_not_usable(
    api: TemplateHarness,
) -> None:
    business = service.find_usable(store=api.container.store, ref="business")
    assert set(business) >= REQUIRED and business["version"] == 1 and business["status"] == "PUBLISHED"
    assert business["builtin"] is True and business["checksum"] is None  # built on first use
    assert service.find_usable(store=api.container.store, ref=f"{business['templateId']}@1")["slug"] == "business"
    site = api.site()
    slug = rid("draft")
    tid = api.make(site, slug=slug)["result"]["templateId"]
    for ref, code in (
        ("nothing-here", "TEMP_001"),
        ("Bad Ref", "TEMP_001"),
        ("business@2", "TEMP_001"),
        (slug, "TEMP_001"),  # a draft is not visible to users: not found, as GET /templates/{ref} says
        (f"{slug}@1", "TEMP_001"),
    ):
        with pytest.raises((NotFound, UnprocessableEntity)) as caught:
            service.find_usable(store=api.container.store, ref=ref)
        assert caught.value.code == code, ref
    draft = service.find_usable(store=api.container.store, ref=f"{slug}@1", platform_admin=True)
    assert draft["templateId"] == tid and draft["status"] == "DRAFT" and len(draft["checksum"]) == 64
    with pytest.raises(UnprocessableEntity):  # admins too need a published version when they name none
        service.find_usable(store=api.container.store, ref=slug, platform_admin=True)

    service.count_use(store=api.container.store, template_id=business["templateId"])
    service.count_use(store=api.container.store, template_id=business["templateId"])
    service.count_use(store=api.container.store, template_id="tpl_" + "0" * 26)  # gone: nothing, no error
    assert api.get("business").json()["usageCount"] == 2


class SlowBuilds(TemplateHarness):
    """Installs take a while, so two first uses of a built-in template really overlap."""

    def __init__(self, data_dir: Path) -> None:
        super().__init__(data_dir)
        original = self.driver.install_site

        def slow(spec: InstanceSpec, site: SiteSpec) -> SiteInfo:
            time.sleep(0.3)
            return original(spec, site)

        self.driver.install_site = slow  # type: ignore[method-assign]


def test_a_builtin_archive_is_built_once_for_concurrent_first_uses_and_verified(tmp_path: Path) -> None:
    api = SlowBuilds(tmp_path / "data")
    record = service.find_usable(store=api.container.store, ref="blog")
    paths: list[Path] = []
    errors: list[BaseException] = []

    def use(n: int) -> None:
        try:
            paths.append(service.archive_for(container=api.container, template=record, work_dir=tmp_path / f"w{n}"))
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=use, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and len(paths) == 3 and all(p.is_file() for p in paths)
    assert installs(api, BUILDER) == 1 and installs(api, BUILDER, "delete_site") >= 1
    assert not any(key[0] == BUILDER for key in api.driver.sites)  # the throw-away site is gone
    built = service.find_usable(store=api.container.store, ref="blog")
    assert len(built["checksum"]) == 64 and built["size"] > 0
    assert built["themeSlug"] == "twentytwentytwo"  # the fake runtime has no twentytwentyone
    assert api.get("blog", api.headers(api.token())).json()["themeSlug"] == "twentytwentytwo"
    assert "A weeknight bobotie" in paths[0].read_text()  # the fake's export holds what the builder made

    # a later use does not build again; a damaged archive is refused with a clear reason
    service.archive_for(container=api.container, template=built, work_dir=tmp_path / "again")
    assert installs(api, BUILDER) == 1
    stored = api.container.artifacts.local_path(built["artifactKey"])
    assert stored is not None
    stored.write_text(stored.read_text() + " ")
    with pytest.raises(TemplateArchiveCorrupt, match="does not match its checksum"):
        service.archive_for(container=api.container, template=built, work_dir=tmp_path / "damaged")


def test_a_lost_builtin_archive_is_built_again(api: TemplateHarness, tmp_path: Path) -> None:
    first = service.archive_for(
        container=api.container,
        template=service.find_usable(store=api.container.store, ref="business"),
        work_dir=tmp_path / "a",
    )
    built = service.find_usable(store=api.container.store, ref="business")
    assert '"Services"' in first.read_text()  # the fake's export lists the pages the builder made
    api.container.artifacts.delete(built["artifactKey"])
    again = service.archive_for(container=api.container, template=built, work_dir=tmp_path / "b")
    assert again.is_file() and installs(api, BUILDER) == 2


def preview_call(api: TemplateHarness, ref: str, headers: dict[str, str], **body: Any) -> Any:
    return api.client.post(f"/v1.0/templates/{ref}/preview", json=body, headers=headers)


def test_previews_are_made_once_per_version_and_followed_by_the_callers_tenant(api: TemplateHarness) -> None:
    tenant_id = api.tenant()
    user = api.member(tenant_id, "VIEWER")
    assert api.get("business/preview", user).json()["code"] == "PREVIEW_NOT_FOUND"
    missing = preview_call(api, "business", user)
    assert missing.status_code == 400 and missing.json()["errors"][0]["field"] == "tenantId"
    elsewhere = preview_call(api, "business", user, tenantId=api.tenant(instance=False))
    assert elsewhere.status_code == 404

    accepted = preview_call(api, "business", user, tenantId=tenant_id)
    assert accepted.status_code == 202 and accepted.json()["tenantId"] == tenant_id
    assert api.get("business/preview", user).json()["status"] == "PENDING"
    op = api.wait(accepted)
    assert op["status"] == "COMPLETED", op
    assert op["result"]["url"].startswith("http://") and op["result"]["version"] == 1
    assert op["result"]["_links"]["template"]["href"].startswith("/v1.0/templates/tpl_")
    assert api.client.get(accepted.headers["location"], headers=user).status_code == 200  # the caller follows it
    shown = api.get("business/preview", user).json()
    assert shown["status"] == "READY" and shown["url"] == op["result"]["url"] and shown["version"] == 1
    assert api.get("business@1/preview", user).json()["url"] == shown["url"]

    again = api.wait(preview_call(api, "business", api.admin()))
    assert again["status"] == "COMPLETED" and again["tenantId"] == "platform"
    assert again["result"]["url"] == shown["url"] and installs(api, PREVIEWS, "import_site") == 1

    site = api.site(tenant_id)
    slug = rid("pv")
    api.make(site, slug=slug)
    assert preview_call(api, slug, user, tenantId=tenant_id).status_code == 404  # a draft: admins only
    assert api.wait(preview_call(api, f"{slug}@1", api.admin()))["status"] == "COMPLETED"
    assert api.get(f"{slug}/preview").json()["status"] == "READY"
    both = preview_call(api, f"{slug}@1", api.admin(), version=1)
    assert both.status_code == 400


def test_a_failed_export_leaves_the_template_free_for_the_next_version_and_reruns_change_nothing(
    api: TemplateHarness,
) -> None:
    tenant_id = api.tenant()
    site = api.site(tenant_id)
    api.driver.fail_next["export_site"] = "disk full"
    slug = rid("fail")
    failed = api.make(site, slug=slug)
    assert failed["status"] == "FAILED" and "disk full" in failed["error"]["detail"]
    shown = api.get(slug).json()
    assert shown["version"] is None and shown["lastError"] and "newVersion" in shown["_links"]
    retry = api.wait(
        api.client.post(
            f"/v1.0/admin/templates/{slug}/versions",
            json={"tenantId": tenant_id, "siteId": site["siteId"]},
            headers=api.admin(),
        )
    )
    assert retry["status"] == "COMPLETED" and retry["result"]["version"] == 1

    # the same job delivered again: the recorded result, no second version
    job = Job(
        name=service.MAKE_JOB,
        tenant_id="platform",
        operation_id=retry["operationId"],
        payload={"templateId": retry["result"]["templateId"], "tenantId": tenant_id, "siteId": site["siteId"]},
    )
    again = templating.MakeTemplateJob()(job, JobContext(container=api.container, report=lambda *_: None))
    assert again is not None and again["version"] == 1
    assert api.get(slug).json()["latestVersion"] == 1

    busy = api.client.post(
        f"/v1.0/admin/templates/{slug}/versions",
        json={"tenantId": tenant_id, "siteId": site["siteId"]},
        headers=api.admin(),
    )
    second = api.client.post(
        f"/v1.0/admin/templates/{slug}/versions",
        json={"tenantId": tenant_id, "siteId": site["siteId"]},
        headers=api.admin(),
    )
    assert busy.status_code == 202 and second.status_code == 409 and second.json()["code"] == "OPERATION_IN_PROGRESS"
    api.run_jobs()
    assert api.get(slug).json()["latestVersion"] == 2


def test_a_build_lease_blocks_other_builders_until_given_back_or_expired(api: TemplateHarness) -> None:
    store, tid = api.container.store, "tpl_" + "1" * 26
    holder = take_lease(store, tid, "build-1")
    assert holder is not None and take_lease(store, tid, "build-1") is None
    with pytest.raises(StillBuilding):
        once(store, tid, "build-1", done=lambda: None, build=lambda: "twice", timeout=0.3)
    lease = store.get(keys.PK, keys.lease_sk(tid, "build-1"))
    assert lease is not None
    store.put({**lease, "ttl": int(time.time()) - 1})  # its holder died: the lease runs out by itself
    assert once(store, tid, "build-1", done=lambda: None, build=lambda: "built") == "built"
    again = take_lease(store, tid, "build-1")  # given back once built
    assert again is not None
    give_back(store, tid, "build-1", holder)  # an old holder cannot release someone else's lease
    assert take_lease(store, tid, "build-1") is None
