"""What sites use from the catalog: finding a version, the install rules, and a checked copy of the zip."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path
from typing import Any

import pytest

from bbws.core.errors import ApiError
from bbws.plugins import catalog
from tests.support import packages
from tests.support.api import ApiHarness, rid
from tests.support.debian_packages import debian_plugin_folder
from tests.support.packages import catalog_harness, upload


@pytest.fixture
def api(tmp_path: Path) -> ApiHarness:
    return catalog_harness(tmp_path / "data")


def _upload(api: ApiHarness, archive: Path) -> dict[str, Any]:
    response = upload(api, archive)
    assert response.status_code == 201, response.text
    return catalog.get_entry(store=api.container.store, plugin_id=response.json()["pluginId"])


def _code(call: Any, **kwargs: Any) -> tuple[int, str]:
    with pytest.raises(ApiError) as caught:
        call(**kwargs)
    return caught.value.status, caught.value.code


def test_find_entry_by_version_or_the_newest(api: ApiHarness, tmp_path: Path) -> None:
    made = {
        v: _upload(api, packages.fixture_zip("bbws-hello", tmp_path / rid(), version=v))
        for v in ("1.9.0", "1.10.0", "1.10.0-beta1")
    }
    _upload(api, packages.theme_zip(tmp_path / "theme.zip", slug="bbws-hello", version="7.0"))
    store = api.container.store
    newest = catalog.find_entry(store=store, kind="plugin", slug="bbws-hello")
    assert newest["pluginId"] == made["1.10.0"]["pluginId"]
    exact = catalog.find_entry(store=store, kind="plugin", slug="bbws-hello", version="1.9.0")
    assert exact["pluginId"] == made["1.9.0"]["pluginId"]
    assert catalog.find_entry(store=store, kind="theme", slug="bbws-hello")["pluginVersion"] == "7.0"
    assert catalog.get_entry(store=store, plugin_id=exact["pluginId"]) == exact
    assert _code(catalog.find_entry, store=store, kind="plugin", slug="bbws-hello", version="2.0") == (404, "PLUG_001")
    assert _code(catalog.find_entry, store=store, kind="plugin", slug="nothing") == (404, "PLUG_001")
    assert _code(catalog.get_entry, store=store, plugin_id="plg_0000000000000000000000000a") == (404, "PLUG_001")


def test_install_rules_follow_the_catalog(api: ApiHarness, tmp_path: Path) -> None:
    entry = _upload(api, packages.fixture_zip("bbws-hello", tmp_path, version="1.1.0", requires_wp="6.2"))
    store, settings, url = api.container.store, api.settings, f"/v1.0/plugins/{entry['pluginId']}"

    def check(wordpress: str = "6.4.1") -> tuple[int, str] | None:
        current = catalog.get_entry(store=store, plugin_id=entry["pluginId"])
        try:
            catalog.check_installable(settings=settings, entry=current, wordpress_version=wordpress)
        except ApiError as exc:
            return exc.status, exc.code
        return None

    assert check() is None
    assert check("6.1.9") == (422, "PLUGIN_INCOMPATIBLE")
    api.client.put(url, json={"vulnerabilities": [{"id": "CVE-2024-1", "summary": "XSS"}]}, headers=api.admin())
    assert check() == (422, "PLUG_003")
    api.client.put(url, json={"vulnerabilities": [], "blocklisted": True}, headers=api.admin())
    assert check() == (422, "PLUG_002")
    api.client.put(url, json={"blocklisted": False}, headers=api.admin())
    assert check() is None
    settings.plugin_blocklist = "bbws-hello"  # the platform-wide list applies to what is already in the catalog
    assert check() == (422, "PLUG_002")


def test_archive_of_gives_a_checked_copy(api: ApiHarness, tmp_path: Path) -> None:
    archive = packages.fixture_zip("bbws-hello", tmp_path)
    entry = _upload(api, archive)
    copy = catalog.archive_of(container=api.container, entry=entry, work_dir=tmp_path / "work")
    assert copy.parent == tmp_path / "work" and copy.read_bytes() == archive.read_bytes()
    with zipfile.ZipFile(copy) as z:
        assert "bbws-hello/bbws-hello.php" in z.namelist()


def test_a_changed_or_missing_archive_is_refused(api: ApiHarness, tmp_path: Path) -> None:
    entry = _upload(api, packages.fixture_zip("bbws-hello", tmp_path))
    artifacts = api.container.artifacts
    stored = artifacts.local_path(entry["artifactKey"])
    assert stored is not None and hashlib.sha256(stored.read_bytes()).hexdigest() == entry["checksum"]
    stored.write_bytes(stored.read_bytes() + b"tampered")
    work = tmp_path / "work"
    with pytest.raises(catalog.ArchiveUnusable, match=r"not the .* recorded at upload") as caught:
        catalog.archive_of(container=api.container, entry=entry, work_dir=work)
    assert caught.value.code == "PLUGIN_ARCHIVE_UNUSABLE"
    assert list(work.iterdir()) == []  # the bad copy is not left for anyone to install
    artifacts.delete(entry["artifactKey"])
    with pytest.raises(catalog.ArchiveUnusable, match="missing"):
        catalog.archive_of(container=api.container, entry=entry, work_dir=work)


def test_debians_packaged_plugin_can_be_uploaded(api: ApiHarness, tmp_path: Path) -> None:
    """`wordpress-plugin-http-authentication`, unpacked from its .deb (never installed), zipped as WordPress
    expects and uploaded like any plugin."""
    folder = debian_plugin_folder("wordpress-plugin-http-authentication", "http-authentication")
    archive = packages.zip_folder(folder, tmp_path / "http-authentication.zip")
    response = upload(api, archive)
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["kind"], body["slug"], body["name"]) == ("plugin", "http-authentication", "HTTP Authentication")
    assert body["pluginVersion"] and body["files"] == sum(1 for p in folder.rglob("*") if p.is_file())
    found = catalog.find_entry(store=api.container.store, kind="plugin", slug="http-authentication")
    assert found["pluginId"] == body["pluginId"]
