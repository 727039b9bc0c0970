"""The template API over an in-memory runtime: visibility, the version life cycle, admin-only writes, bad input."""

from __future__ import annotations

from typing import Any

from tests.integration.templates.conftest import TemplateHarness
from tests.support.api import rid

ADMIN_ROUTES = "/v1.0/admin/templates"


def slugs(api: TemplateHarness, headers: dict[str, str], **query: Any) -> list[str]:
    response = api.client.get("/v1.0/templates", params={"pageSize": 100, **query}, headers=headers)
    assert response.status_code == 200, response.text
    return [item["slug"] for item in response.json()["items"]]


def move(api: TemplateHarness, tid: str, action: str, version: int | None = None) -> Any:
    body = {} if version is None else {"version": version}
    return api.client.post(f"{ADMIN_ROUTES}/{tid}/{action}", json=body, headers=api.admin())


def test_a_template_made_from_a_site_is_a_draft_only_platform_admins_see(api: TemplateHarness) -> None:
    tenant_id = api.tenant()
    site = api.site(tenant_id)
    api.driver.sites[(tenant_id, "dev", site["key"])]["theme"] = "twentytwentytwo"
    api.driver.sites[(tenant_id, "dev", site["key"])]["plugins"]["akismet"]["active"] = True
    slug = rid("shop")
    op = api.make(site, slug=slug, name="Shop", category="business")
    assert op["status"] == "COMPLETED", op
    result = op["result"]
    assert result["version"] == 1 and result["status"] == "DRAFT" and result["slug"] == slug
    assert result["_links"]["template"]["href"] == f"/v1.0/templates/{result['templateId']}"
    assert op["tenantId"] == "platform" and op["operationType"] == "TEMPLATE_CREATE"

    made = api.get(slug).json()
    assert made["status"] == "DRAFT" and made["version"] == 1 and made["versionStatus"] == "DRAFT"
    assert made["themeSlug"] == "twentytwentytwo" and made["includedPlugins"] == ["akismet"]
    assert made["templateId"] == result["templateId"] and made["currentVersion"] is None
    assert {"publish", "delete", "update", "newVersion"} <= set(made["_links"]) and "archive" not in made["_links"]
    versions = api.client.get(f"/v1.0/templates/{slug}/versions", headers=api.admin()).json()["items"]
    assert [(v["version"], v["status"]) for v in versions] == [(1, "DRAFT")]
    assert versions[0]["sourceSiteId"] == site["siteId"] and len(versions[0]["checksum"]) == 64
    assert api.container.artifacts.exists(f"templates/{slug}/1/{made['templateId']}.tar.gz")

    # users of a tenant (any role) and platform staff other than admins never see it
    viewers = [api.member(tenant_id, role) for role in ("ADMIN", "OPERATOR", "VIEWER")]
    viewers += [api.platform("OPERATOR"), api.platform("VIEWER"), api.headers(api.token())]
    for headers in viewers:
        assert set(slugs(api, headers)) == {"business", "blog"}
        for path in (slug, f"{slug}@1", made["templateId"], f"{slug}/versions", f"{slug}/preview"):
            missing = api.get(path, headers)
            assert missing.status_code == 404 and missing.json()["code"] == "TEMP_001", path
            assert missing.headers["content-type"].startswith("application/problem+json")
        refused = api.client.get("/v1.0/templates", params={"status": "DRAFT"}, headers=headers)
        assert refused.status_code == 403
    assert slug in slugs(api, api.admin()) and slugs(api, api.admin(), status="DRAFT") == [slug]
    assert slugs(api, api.admin(), category="business") == sorted(["business", slug])


def test_versions_move_draft_published_archived_and_users_get_the_newest_published(api: TemplateHarness) -> None:
    tenant_id = api.tenant()
    site = api.site(tenant_id)
    user = api.member(tenant_id, "VIEWER")
    slug = rid("co")
    tid = api.make(site, slug=slug)["result"]["templateId"]

    published = move(api, tid, "publish")
    assert published.status_code == 200 and published.json()["status"] == "PUBLISHED"
    assert api.get(slug, user).json()["currentVersion"] == 1 and slug in slugs(api, user)

    api.driver.sites[(tenant_id, "dev", site["key"])]["theme"] = "twentytwentytwo"
    second = api.wait(
        api.client.post(
            f"{ADMIN_ROUTES}/{slug}/versions",
            json={"tenantId": tenant_id, "siteId": site["siteId"]},
            headers=api.admin(),
        )
    )
    assert second["status"] == "COMPLETED" and second["result"]["version"] == 2
    seen = api.get(slug, user).json()
    assert seen["version"] == 1 and seen["themeSlug"] == "twentytwentythree"  # the draft changes nothing for users
    assert [v["version"] for v in api.client.get(f"/v1.0/templates/{slug}/versions", headers=user).json()["items"]] == [
        1
    ]
    assert api.get(f"{slug}@2", user).status_code == 404 and api.get(f"{slug}@2").json()["versionStatus"] == "DRAFT"

    assert move(api, tid, "publish").json()["currentVersion"] == 2  # the newest draft by default
    assert api.get(slug, user).json()["themeSlug"] == "twentytwentytwo"
    archived = move(api, tid, "archive")  # the current one by default
    assert archived.status_code == 200 and archived.json()["currentVersion"] == 1
    assert move(api, tid, "archive", 1).json()["status"] == "ARCHIVED"
    assert slug not in slugs(api, user) and api.get(slug, user).status_code == 404
    assert move(api, tid, "publish", 1).json()["currentVersion"] == 1  # archived versions may be published again
    assert api.get(slug, user).status_code == 200

    before = api.get(slug).json()
    for action, version in (("publish", 1), ("archive", 2), ("archive", 7)):
        wrong = move(api, tid, action, version)
        expected = (404, "TEMP_001") if version == 7 else (422, "INVALID_STATUS_TRANSITION")
        assert (wrong.status_code, wrong.json()["code"]) == expected, (action, version, wrong.text)
    assert api.get(slug).json() == before


def test_only_platform_admins_write_templates(api: TemplateHarness) -> None:
    tenant_id = api.tenant()
    site = api.site(tenant_id)
    tid = api.make(site)["result"]["templateId"]
    business = api.get("business").json()["templateId"]
    others = [api.member(tenant_id, "ADMIN"), api.platform("OPERATOR"), api.platform("VIEWER")]
    body = {"slug": rid("x"), "name": "Nope", "tenantId": tenant_id, "siteId": site["siteId"]}
    before = slugs(api, api.admin())
    for headers in others:
        calls = [
            api.client.post(ADMIN_ROUTES, json=body, headers=headers),
            api.client.post(
                f"{ADMIN_ROUTES}/{tid}/versions",
                json={"tenantId": tenant_id, "siteId": site["siteId"]},
                headers=headers,
            ),
            api.client.put(f"{ADMIN_ROUTES}/{tid}", json={"name": "Renamed"}, headers=headers),
            api.client.post(f"{ADMIN_ROUTES}/{tid}/publish", json={}, headers=headers),
            api.client.post(f"{ADMIN_ROUTES}/{business}/archive", json={}, headers=headers),
            api.client.delete(f"{ADMIN_ROUTES}/{tid}", headers=headers),
        ]
        assert [c.status_code for c in calls] == [403] * len(calls), [c.text for c in calls]
    assert slugs(api, api.admin()) == before and api.get(tid).json()["status"] == "DRAFT"
    assert api.client.get("/v1.0/templates").status_code == 401


def test_bad_input_and_taken_slugs_change_nothing(api: TemplateHarness) -> None:
    tenant_id = api.tenant()
    site = api.site(tenant_id)
    good = {"slug": rid("ok"), "name": "Fine", "tenantId": tenant_id, "siteId": site["siteId"]}
    before, queued = slugs(api, api.admin()), api.run_jobs()
    for changes in (
        {"slug": "Upper"},
        {"slug": "a"},
        {"slug": "-dash"},
        {"slug": "x" * 42},
        {"slug": "sp ace"},
        {"slug": "ünï"},
        {"name": ""},
        {"name": "\x00bad"},
        {"category": "Not Valid"},
        {"tenantId": "nope"},
        {"siteId": "site_x"},
        {"extra": 1},
        {"description": "x" * 2001},
    ):
        bad = api.client.post(ADMIN_ROUTES, json={**good, **changes}, headers=api.admin())
        assert bad.status_code == 400, (changes, bad.text)
        problem = bad.json()
        assert bad.headers["content-type"].startswith("application/problem+json") and problem["errors"], changes
    for slug in ("business", "blog"):
        taken = api.client.post(ADMIN_ROUTES, json={**good, "slug": slug}, headers=api.admin())
        assert taken.status_code == 409 and taken.json()["code"] == "TEMPLATE_SLUG_TAKEN"
    other = api.tenant()
    cases = [
        ({"siteId": "site_" + "0" * 26}, 404, "SITE_002"),
        ({"tenantId": other}, 404, "SITE_002"),  # the site belongs to another tenant
        ({"siteId": api.site(tenant_id, status="SUSPENDED")["siteId"]}, 422, "SITE_NOT_ACTIVE"),
    ]
    homeless = api.tenant(instance=False)
    cases.append(
        ({"tenantId": homeless, "siteId": api.site(homeless, install=False)["siteId"]}, 409, "INSTANCE_NOT_FOUND")
    )
    for changes, status, code in cases:
        refused = api.client.post(ADMIN_ROUTES, json={**good, **changes}, headers=api.admin())
        assert (refused.status_code, refused.json()["code"]) == (status, code), refused.text
    assert slugs(api, api.admin()) == before and api.run_jobs() == queued == 0
    assert api.get(good["slug"]).status_code == 404
    made = api.make(site, slug=good["slug"])
    assert made["status"] == "COMPLETED"  # the slug was never taken by the refused requests
    again = api.client.post(ADMIN_ROUTES, json=good, headers=api.admin())
    assert again.status_code == 409 and again.json()["code"] == "TEMPLATE_SLUG_TAKEN"


def test_update_needs_the_current_etag_and_delete_waits_until_nothing_is_published(api: TemplateHarness) -> None:
    site = api.site()
    slug = rid("upd")
    tid = api.make(site, slug=slug)["result"]["templateId"]
    current = api.get(slug)
    stale = api.client.put(f"{ADMIN_ROUTES}/{slug}", json={"name": "New"}, headers={**api.admin(), "If-Match": '"0"'})
    assert stale.status_code == 412
    updated = api.client.put(
        f"{ADMIN_ROUTES}/{slug}",
        json={"name": "New name", "category": "shop"},
        headers={**api.admin(), "If-Match": current.headers["etag"]},
    )
    assert updated.status_code == 200 and updated.json()["name"] == "New name"
    assert updated.headers["etag"] != current.headers["etag"] and updated.json()["slug"] == slug
    assert api.client.put(f"{ADMIN_ROUTES}/{slug}", json={}, headers=api.admin()).json()["code"] == "NOTHING_TO_UPDATE"
    assert api.client.put(f"{ADMIN_ROUTES}/{slug}", json={"slug": "other"}, headers=api.admin()).status_code == 400
    cleared = api.client.put(f"{ADMIN_ROUTES}/{slug}", json={"category": None}, headers=api.admin())
    assert cleared.json()["category"] is None and slugs(api, api.admin(), category="shop") == []

    move(api, tid, "publish")
    refused = api.client.delete(f"{ADMIN_ROUTES}/{slug}", headers=api.admin())
    assert refused.status_code == 409 and refused.json()["code"] == "TEMPLATE_PUBLISHED"
    move(api, tid, "archive")
    key = f"templates/{slug}/1/{tid}.tar.gz"
    assert api.container.artifacts.exists(key)
    assert api.client.delete(f"{ADMIN_ROUTES}/{slug}", headers=api.admin()).status_code == 204
    api.run_jobs()
    assert api.get(slug).status_code == 404 and api.get(tid).status_code == 404
    assert not api.container.artifacts.exists(key)
    assert api.make(site, slug=slug)["status"] == "COMPLETED"  # the slug is free again


def test_lists_are_paginated_by_slug(api: TemplateHarness) -> None:
    site = api.site()
    for _ in range(3):
        op = api.make(site, category="demo")
        move(api, op["result"]["templateId"], "publish")
    seen: list[str] = []
    url: str | None = "/v1.0/templates?pageSize=2"
    while url:
        page = api.client.get(url, headers=api.member(site["tenantId"], "VIEWER")).json()
        assert len(page["items"]) <= 2
        seen += [item["slug"] for item in page["items"]]
        url = page["_links"].get("next", {}).get("href")
        assert page["moreAvailable"] is (url is not None)
    assert seen == sorted(seen) and len(seen) == 5 and {"business", "blog"} <= set(seen)
    assert len(slugs(api, api.admin(), category="demo", status="PUBLISHED")) == 3
    forged = api.client.get("/v1.0/templates", params={"startAt": "x.y"}, headers=api.admin())
    assert forged.status_code == 400 and forged.json()["code"] == "INVALID_PAGINATION_TOKEN"
