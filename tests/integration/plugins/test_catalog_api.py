"""The catalog over HTTP: who may upload and read, bad zips refused with nothing stored, versions, blocklist."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support import packages
from tests.support.api import ApiHarness, rid
from tests.support.packages import catalog_harness, upload


@pytest.fixture
def api(tmp_path: Path) -> ApiHarness:
    return catalog_harness(tmp_path / "data")


def _stored(api: ApiHarness) -> tuple[list[dict[str, Any]], list[Path]]:
    """Every catalog entry (as an admin sees them) and every file in the artifact folder."""
    listed = api.client.get("/v1.0/plugins?pageSize=100", headers=api.admin())
    assert listed.status_code == 200, listed.text
    folder = api.settings.data_dir / "artifacts"
    return listed.json()["items"], [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def test_an_admin_uploads_a_plugin(api: ApiHarness, tmp_path: Path) -> None:
    archive = packages.fixture_zip("bbws-hello", tmp_path)
    response = upload(api, archive)
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["location"] == f"/v1.0/plugins/{body['pluginId']}"
    assert response.headers["etag"] == '"1"'
    assert body["pluginId"].startswith("plg_")
    assert {k: body[k] for k in ("kind", "slug", "name", "pluginVersion", "minWordPressVersion", "requiresPhp")} == {
        "kind": "plugin",
        "slug": "bbws-hello",
        "name": "BBWS Hello",
        "pluginVersion": "1.0.0",
        "minWordPressVersion": "5.0",
        "requiresPhp": "7.4",
    }
    data = archive.read_bytes()
    assert body["checksum"] == hashlib.sha256(data).hexdigest() and body["size"] == len(data)
    assert (body["blocklisted"], body["vulnerable"], body["vulnerabilities"]) == (False, False, [])
    assert body["uploadedBy"] == "platform-admin"
    assert {"self", "collection", "versions", "update", "delete"} <= set(body["_links"])
    got = api.client.get(response.headers["location"], headers=api.admin())
    assert got.status_code == 200 and got.json() == body
    assert "artifactKey" not in body  # where the zip lives is the platform's business
    assert api.container.artifacts.exists(f"plugins/bbws-hello/1.0.0/{body['pluginId']}.zip")


def test_a_theme_is_uploaded_as_a_theme(api: ApiHarness, tmp_path: Path) -> None:
    response = upload(api, packages.theme_zip(tmp_path / "theme.zip"))
    assert response.status_code == 201, response.text
    assert (response.json()["kind"], response.json()["slug"]) == ("theme", "bbws-plain")


def test_who_may_do_what(api: ApiHarness, tmp_path: Path) -> None:
    tenant = api.create_tenant()
    viewer = api.member(tenant["tenantId"], "VIEWER")
    tenant_admin = api.member(tenant["tenantId"], "ADMIN")
    archive = packages.fixture_zip("bbws-hello", tmp_path)
    for headers in ({}, tenant_admin, viewer, api.platform("OPERATOR"), api.platform("VIEWER")):
        refused = upload(api, archive, headers)
        assert refused.status_code == (401 if not headers else 403), refused.text
    assert _stored(api) == ([], [])

    created = upload(api, archive).json()
    url = f"/v1.0/plugins/{created['pluginId']}"
    assert api.client.get("/v1.0/plugins").status_code == 401
    for headers in (viewer, tenant_admin, api.platform("VIEWER")):
        listed = api.client.get("/v1.0/plugins", headers=headers)
        assert listed.status_code == 200 and [p["pluginId"] for p in listed.json()["items"]] == [created["pluginId"]]
        got = api.client.get(url, headers=headers)
        assert got.status_code == 200 and "update" not in got.json()["_links"]
        assert api.client.put(url, json={"blocklisted": True}, headers=headers).status_code == 403
        assert api.client.delete(url, headers=headers).status_code == 403
    narrowed = api.headers(api.token(rid("user"), groups=["platform-admin"], scope="sites:read"))
    assert api.client.get("/v1.0/plugins", headers=narrowed).status_code == 403


def test_the_body_must_be_a_zip_media_type(api: ApiHarness, tmp_path: Path) -> None:
    archive = packages.fixture_zip("bbws-hello", tmp_path)
    for media_type in ("application/json", "multipart/form-data; boundary=x", ""):
        response = api.client.post(
            "/v1.0/plugins", content=archive.read_bytes(), headers={**api.admin(), "Content-Type": media_type}
        )
        assert response.status_code == 415 and response.json()["code"] == "UNSUPPORTED_MEDIA_TYPE"
    assert _stored(api) == ([], [])


def test_a_zip_may_also_come_as_octet_stream(api: ApiHarness, tmp_path: Path) -> None:
    """Generated clients send raw bytes as application/octet-stream; the zip inside is inspected the same way."""
    archive = packages.fixture_zip("bbws-hello", tmp_path)
    headers = {**api.admin(), "Content-Type": "application/octet-stream"}
    response = api.client.post("/v1.0/plugins", content=archive.read_bytes(), headers=headers)
    assert response.status_code == 201, response.text
    assert response.json()["slug"] == "bbws-hello"
    refused = api.client.post("/v1.0/plugins", content=b"not a zip", headers=headers)
    assert refused.status_code == 422 and refused.json()["code"] == "PLUGIN_PACKAGE_INVALID"
    viewer = {**api.platform("VIEWER"), "Content-Type": "application/octet-stream"}
    assert api.client.post("/v1.0/plugins", content=archive.read_bytes(), headers=viewer).status_code == 403


BAD: list[tuple[Callable[[Path], Path], int, str]] = [
    (packages.not_a_zip, 422, "PLUGIN_PACKAGE_INVALID"),
    (packages.without_header, 422, "PLUGIN_PACKAGE_INVALID"),
    (packages.without_version, 422, "PLUGIN_PACKAGE_INVALID"),
    (packages.with_traversal, 422, "PLUGIN_PACKAGE_INVALID"),
    (packages.with_absolute_path, 422, "PLUGIN_PACKAGE_INVALID"),
    (packages.with_symlink, 422, "PLUGIN_PACKAGE_INVALID"),
    (packages.with_two_tops, 422, "PLUGIN_PACKAGE_INVALID"),
    (packages.bad_crc_zip, 422, "PLUGIN_PACKAGE_INVALID"),
    (packages.zip_bomb, 413, "PLUGIN_PACKAGE_TOO_LARGE"),
]


@pytest.mark.parametrize(("build", "status", "code"), BAD, ids=[b[0].__name__ for b in BAD])
def test_bad_zips_are_refused_and_nothing_is_stored(
    api: ApiHarness, tmp_path: Path, build: Callable[[Path], Path], status: int, code: str
) -> None:
    response = upload(api, build(tmp_path / "bad.zip"))
    assert response.status_code == status, response.text
    problem = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert problem["code"] == code and problem["errors"][0]["message"] == problem["detail"]
    assert _stored(api) == ([], [])


def test_a_zip_whose_file_is_also_a_folder_is_refused_at_upload_naming_the_member(
    api: ApiHarness, tmp_path: Path
) -> None:
    archive = packages.zip_members(
        tmp_path / "p.zip",
        {"clash/clash.php": packages.plugin_php("Clash"), "clash/a": b"x", "clash/a/b.php": b"<?php"},
    )
    response = upload(api, archive)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "PLUGIN_PACKAGE_INVALID" and problem["errors"][0]["field"] == "clash/a"
    assert "'clash/a'" in problem["detail"]
    assert _stored(api) == ([], [])


def test_an_empty_body_is_not_a_zip(api: ApiHarness) -> None:
    response = api.client.post("/v1.0/plugins", headers={**api.admin(), "Content-Type": "application/zip"})
    assert response.status_code == 422 and response.json()["code"] == "PLUGIN_PACKAGE_INVALID"


def test_a_zip_over_the_limit_is_refused(tmp_path: Path) -> None:
    api = catalog_harness(tmp_path / "data", plugin_max_bytes=8192)
    big = packages.padded_plugin(tmp_path / "big.zip", size=12_000)
    chunked = api.client.post(  # no Content-Length: the limit holds while the body streams in
        "/v1.0/plugins",
        content=iter([big.read_bytes()[:6000], big.read_bytes()[6000:]]),
        headers={**api.admin(), "Content-Type": "application/zip"},
    )
    for response in (upload(api, big), chunked):
        # Refused by the request middleware (its limit for this route) or by the route itself.
        assert response.status_code == 413, response.text
        assert response.json()["code"] in ("PAYLOAD_TOO_LARGE", "PLUGIN_PACKAGE_TOO_LARGE")
        assert "8192" in response.json()["detail"]
    assert _stored(api) == ([], [])
    assert upload(api, packages.fixture_zip("bbws-hello", tmp_path)).status_code == 201


def test_a_zip_over_the_general_body_limit_passes_on_this_route(tmp_path: Path) -> None:
    """Uploads are bounded by `plugin_max_bytes`, not by the 1 MiB (here 1 KiB) limit on JSON bodies."""
    api = catalog_harness(tmp_path / "data", max_body_bytes=1024)
    response = upload(api, packages.padded_plugin(tmp_path / "p.zip", size=4096))
    assert response.status_code == 201, response.text
    other = api.client.post("/v1.0/tenants", content=b"x" * 2048, headers=api.admin())
    assert other.status_code == 413  # every other route keeps the general limit


def test_a_duplicate_version_is_a_conflict(api: ApiHarness, tmp_path: Path) -> None:
    first = upload(api, packages.fixture_zip("bbws-hello", tmp_path)).json()
    again = upload(api, packages.fixture_zip("bbws-hello", tmp_path / "again"))
    assert again.status_code == 409
    assert again.json()["code"] == "PLUG_004" and again.json()["pluginId"] == first["pluginId"]
    assert upload(api, packages.fixture_zip("bbws-hello", tmp_path, version="1.1.0")).status_code == 201
    entries, files = _stored(api)
    assert len(entries) == 2 and len(files) == 2


def test_a_blocklisted_slug_cannot_be_uploaded(tmp_path: Path) -> None:
    api = catalog_harness(tmp_path / "data", plugin_blocklist="akismet, bbws-headers")
    response = upload(api, packages.fixture_zip("bbws-headers", tmp_path))
    assert response.status_code == 422 and response.json()["code"] == "PLUG_002"
    assert _stored(api) == ([], [])


def test_listing_filters_and_pages(api: ApiHarness, tmp_path: Path) -> None:
    ids = {}
    for slug, version in (("bbws-hello", "1.10.0"), ("bbws-hello", "1.9.0"), ("bbws-headers", None)):
        made = upload(api, packages.fixture_zip(slug, tmp_path / rid(), version=version)).json()
        ids[(slug, made["pluginVersion"])] = made["pluginId"]
    upload(api, packages.theme_zip(tmp_path / "theme.zip", slug="bbws-hello"))  # a theme may share a slug

    def versions(query: str) -> list[tuple[str, str]]:
        response = api.client.get(f"/v1.0/plugins?{query}", headers=api.admin())
        assert response.status_code == 200, response.text
        return [(p["kind"], p["pluginVersion"]) for p in response.json()["items"]]

    assert versions("kind=plugin&slug=bbws-hello") == [("plugin", "1.9.0"), ("plugin", "1.10.0")]
    assert versions("slug=bbws-hello") == [("plugin", "1.9.0"), ("plugin", "1.10.0"), ("theme", "1.0.0")]
    assert versions("kind=theme") == [("theme", "1.0.0")]
    assert versions("kind=plugin") == [("plugin", "2.0.0"), ("plugin", "1.9.0"), ("plugin", "1.10.0")]

    seen, url = [], "/v1.0/plugins?pageSize=1"
    while url:
        page = api.client.get(url, headers=api.admin()).json()
        seen += [p["pluginId"] for p in page["items"]]
        url = page["_links"].get("next", {}).get("href")
        assert page["moreAvailable"] == bool(url)
    assert len(seen) == 4 and set(ids.values()) <= set(seen) and seen == sorted(seen)

    for bad in ("kind=module", "slug=Not_A_Slug!", "pageSize=0", "startAt=forged"):
        assert api.client.get(f"/v1.0/plugins?{bad}", headers=api.admin()).status_code == 400


def test_blocklisted_entries_are_hidden_from_users(api: ApiHarness, tmp_path: Path) -> None:
    entry = upload(api, packages.fixture_zip("bbws-hello", tmp_path)).json()
    url = f"/v1.0/plugins/{entry['pluginId']}"
    user = api.member(api.create_tenant()["tenantId"], "OPERATOR")
    changed = api.client.put(url, json={"blocklisted": True}, headers={**api.admin(), "If-Match": '"1"'})
    assert changed.status_code == 200 and changed.json()["blocklisted"] is True
    assert changed.headers["etag"] == '"2"'
    assert api.client.get("/v1.0/plugins", headers=user).json()["items"] == []
    hidden = api.client.get(url, headers=user)
    assert hidden.status_code == 404 and hidden.json()["code"] == "PLUG_001"
    assert [p["pluginId"] for p in api.client.get("/v1.0/plugins", headers=api.admin()).json()["items"]] == [
        entry["pluginId"]
    ]
    api.client.put(url, json={"blocklisted": False}, headers=api.admin())
    assert api.client.get(url, headers=user).status_code == 200


def test_updates_need_a_matching_etag_and_something_to_change(api: ApiHarness, tmp_path: Path) -> None:
    entry = upload(api, packages.fixture_zip("bbws-hello", tmp_path)).json()
    url = f"/v1.0/plugins/{entry['pluginId']}"
    stale = api.client.put(url, json={"blocklisted": True}, headers={**api.admin(), "If-Match": '"7"'})
    assert stale.status_code == 412
    assert api.client.put(url, json={}, headers=api.admin()).json()["code"] == "NOTHING_TO_UPDATE"
    for body in ({"pluginVersion": "9"}, {"vulnerabilities": [{"id": "", "summary": "x"}]}, {"blocklisted": "yes"}):
        assert api.client.put(url, json=body, headers=api.admin()).status_code == 400
    assert api.client.get(url, headers=api.admin()).json()["version"] == 1  # nothing changed
    missing = api.client.put("/v1.0/plugins/plg_0000000000000000000000000a", json={}, headers=api.admin())
    assert missing.status_code == 404 and missing.json()["code"] == "PLUG_001"
    assert api.client.get("/v1.0/plugins/not-an-id", headers=api.admin()).status_code == 400


def test_vulnerabilities_mark_and_clear_an_entry(api: ApiHarness, tmp_path: Path) -> None:
    entry = upload(api, packages.fixture_zip("bbws-hello", tmp_path)).json()
    url = f"/v1.0/plugins/{entry['pluginId']}"
    found = [{"id": "CVE-2024-12345", "summary": "Stored XSS in the greeting"}]
    marked = api.client.put(url, json={"vulnerabilities": found}, headers=api.admin()).json()
    assert (marked["vulnerable"], marked["vulnerabilities"], marked["blocklisted"]) == (True, found, False)
    cleared = api.client.put(url, json={"vulnerabilities": []}, headers=api.admin()).json()
    assert (cleared["vulnerable"], cleared["vulnerabilities"], cleared["version"]) == (False, [], 3)


def test_delete_removes_the_entry_and_its_zip(api: ApiHarness, tmp_path: Path) -> None:
    archive = packages.fixture_zip("bbws-hello", tmp_path)
    entry = upload(api, archive).json()
    url = f"/v1.0/plugins/{entry['pluginId']}"
    assert api.client.delete(url, headers={**api.admin(), "If-Match": '"9"'}).status_code == 412
    assert api.client.delete(url, headers=api.admin()).status_code == 204
    assert api.client.get(url, headers=api.admin()).json()["code"] == "PLUG_001"
    assert api.client.delete(url, headers=api.admin()).status_code == 404
    assert _stored(api) == ([], [])
    assert upload(api, archive).status_code == 201  # the version may be uploaded again


def test_catalog_changes_are_audited(api: ApiHarness, tmp_path: Path) -> None:
    entry = upload(api, packages.fixture_zip("bbws-hello", tmp_path)).json()
    api.client.put(f"/v1.0/plugins/{entry['pluginId']}", json={"blocklisted": True}, headers=api.admin())
    api.client.delete(f"/v1.0/plugins/{entry['pluginId']}", headers=api.admin())
    records = [r for r in api.container.store.query("TENANT#platform", sk_prefix="AUDIT#").items
               if r["resourceType"] == "plugin"]  # the platform's audit also holds the built-in templates
    assert [r["action"] for r in records] == ["plugin.uploaded", "plugin.updated", "plugin.deleted"]
    assert {r["resourceId"] for r in records} == {entry["pluginId"]}
    assert {r["actor"] for r in records} == {"platform-admin"}


def test_an_upload_with_an_idempotency_key_is_replayed_not_repeated(api: ApiHarness, tmp_path: Path) -> None:
    archive = packages.fixture_zip("bbws-hello", tmp_path)
    headers = {**api.admin(), "Idempotency-Key": rid("key")}
    first = upload(api, archive, headers)
    again = upload(api, archive, headers)
    assert first.status_code == again.status_code == 201, again.text
    assert again.headers.get("idempotent-replayed") == "true" and again.json() == first.json()
    other = upload(api, packages.fixture_zip("bbws-hello", tmp_path, version="3.0"), headers)
    assert other.status_code == 422 and other.json()["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert len(_stored(api)[0]) == 1
