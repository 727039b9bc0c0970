"""The plugin and theme catalog on its service functions: versions and the newest one, kinds, duplicates, the
blocklists, vulnerabilities, WordPress compatibility, and the zip a site gets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bbws.core.errors import ApiError
from bbws.plugins import catalog
from tests.support import packages
from tests.support.api import rid
from tests.unit.services.conftest import Services


def refused(call: Any, **kwargs: Any) -> tuple[int, str]:
    with pytest.raises(ApiError) as caught:
        call(**kwargs)
    return caught.value.status, caught.value.code


def installable(svc: Services, entry: dict[str, Any], wordpress: str = "6.4.1") -> tuple[int, str] | None:
    current = catalog.get_entry(store=svc.store, plugin_id=entry["pluginId"])
    try:
        catalog.check_installable(settings=svc.settings, entry=current, wordpress_version=wordpress)
    except ApiError as exc:
        return exc.status, exc.code
    return None


def flag(svc: Services, entry: dict[str, Any], **fields: Any) -> dict[str, Any]:
    current = catalog.get_entry(store=svc.store, plugin_id=entry["pluginId"])
    return catalog.update_entry(store=svc.store, clock=svc.clock, actor=svc.actor, entry=current, **fields)


def test_the_newest_version_is_found_by_version_order_not_upload_order(svc: Services) -> None:
    made = {v: svc.plugin(version=v) for v in ("1.10.0", "1.9.0", "1.10.0-beta1")}
    assert catalog.find_entry(store=svc.store, kind="plugin", slug="bbws-hello")["pluginVersion"] == "1.10.0"
    exact = catalog.find_entry(store=svc.store, kind="plugin", slug="bbws-hello", version="1.9.0")
    assert exact["pluginId"] == made["1.9.0"]["pluginId"]


def test_a_plugin_and_a_theme_with_one_slug_are_separate_entries(svc: Services) -> None:
    plugin = svc.plugin(version="1.0.0")
    theme = svc.upload(packages.theme_zip(svc.root / "theme.zip", slug="bbws-hello", version="7.0"))
    assert theme["kind"] == "theme"
    assert catalog.find_entry(store=svc.store, kind="theme", slug="bbws-hello")["pluginId"] == theme["pluginId"]
    assert catalog.find_entry(store=svc.store, kind="plugin", slug="bbws-hello")["pluginId"] == plugin["pluginId"]
    themes = catalog.list_entries(store=svc.store, kind="theme").items
    assert [e["pluginId"] for e in themes] == [theme["pluginId"]]


def test_an_unknown_id_slug_or_version_is_not_found(svc: Services) -> None:
    svc.plugin(version="1.0.0")
    store = svc.store
    missing_version = {"kind": "plugin", "slug": "bbws-hello", "version": "2.0"}
    assert refused(catalog.find_entry, store=store, **missing_version) == (404, "PLUG_001")
    assert refused(catalog.find_entry, store=store, kind="plugin", slug="nothing") == (404, "PLUG_001")
    assert refused(catalog.find_entry, store=store, kind="theme", slug="bbws-hello") == (404, "PLUG_001")
    assert refused(catalog.get_entry, store=store, plugin_id="plg_0000000000000000000000000a") == (404, "PLUG_001")


def test_the_same_kind_slug_and_version_is_uploaded_once(svc: Services) -> None:
    first = svc.plugin(version="1.0.0")
    with pytest.raises(ApiError) as caught:
        svc.plugin(version="1.0.0")
    assert (caught.value.status, caught.value.code) == (409, "PLUG_004")
    assert caught.value.extra["pluginId"] == first["pluginId"]
    assert [e["pluginId"] for e in catalog.list_entries(store=svc.store).items] == [first["pluginId"]]


def test_a_slug_on_the_platform_blocklist_is_not_uploaded(tmp_path: Path) -> None:
    svc = Services(tmp_path, plugin_blocklist="other, bbws-hello")
    with pytest.raises(ApiError) as caught:
        svc.plugin(version="1.0.0")
    assert caught.value.code == "PLUG_002"
    assert catalog.list_entries(store=svc.store, include_blocklisted=True).items == []


def test_a_blocklisted_entry_is_not_installable_until_cleared(svc: Services) -> None:
    entry = svc.plugin(version="1.0.0")
    assert installable(svc, entry) is None
    flag(svc, entry, blocklisted=True)
    assert installable(svc, entry) == (422, "PLUG_002")
    flag(svc, entry, blocklisted=False)
    assert installable(svc, entry) is None


def test_the_platform_blocklist_applies_to_entries_already_in_the_catalog(svc: Services) -> None:
    entry = svc.plugin(version="1.0.0")
    svc.settings.plugin_blocklist = "bbws-hello"
    assert installable(svc, entry) == (422, "PLUG_002")


def test_a_version_with_known_vulnerabilities_is_not_installable(svc: Services) -> None:
    entry = svc.plugin(version="1.0.0")
    flagged = flag(svc, entry, vulnerabilities=[{"id": "CVE-2024-1", "summary": "XSS"}])
    assert flagged["vulnerable"] is True
    with pytest.raises(ApiError) as caught:
        catalog.check_installable(settings=svc.settings, entry=flagged, wordpress_version="6.4.1")
    assert caught.value.code == "PLUG_003" and "CVE-2024-1" in caught.value.detail
    assert flag(svc, entry, vulnerabilities=[])["vulnerable"] is False
    assert installable(svc, entry) is None


def test_a_version_needing_a_newer_wordpress_is_incompatible(svc: Services) -> None:
    entry = svc.plugin(version="1.1.0", requires_wp="6.2")
    assert installable(svc, entry, "6.1.9") == (422, "PLUGIN_INCOMPATIBLE")
    assert installable(svc, entry, "6.2") is None and installable(svc, entry, "6.10") is None


def test_an_update_of_an_entry_must_change_something(svc: Services) -> None:
    entry = svc.plugin(version="1.0.0")
    with pytest.raises(ApiError) as caught:
        catalog.update_entry(store=svc.store, clock=svc.clock, actor=svc.actor, entry=entry)
    assert (caught.value.status, caught.value.code) == (422, "NOTHING_TO_UPDATE")


def test_an_update_of_a_stale_entry_is_a_conflict(svc: Services) -> None:
    entry = svc.plugin(version="1.0.0")
    catalog.update_entry(store=svc.store, clock=svc.clock, actor=svc.actor, entry=entry, blocklisted=True)
    with pytest.raises(ApiError) as caught:
        catalog.update_entry(store=svc.store, clock=svc.clock, actor=svc.actor, entry=entry, blocklisted=False)
    assert caught.value.code == "PLUG_004"
    assert catalog.get_entry(store=svc.store, plugin_id=entry["pluginId"])["blocklisted"] is True


def test_blocklisted_entries_are_left_out_of_lists_unless_asked_for(svc: Services) -> None:
    old, new = svc.plugin(version="1.0.0"), svc.plugin(version="1.1.0")
    flag(svc, old, blocklisted=True)
    queries: list[dict[str, Any]] = [{}, {"kind": "plugin"}, {"slug": "bbws-hello"}]
    for query in queries:
        listed = catalog.list_entries(store=svc.store, **query).items
        everything = catalog.list_entries(store=svc.store, include_blocklisted=True, **query).items
        assert [e["pluginId"] for e in listed] == [new["pluginId"]]
        assert {e["pluginId"] for e in everything} == {old["pluginId"], new["pluginId"]}


def test_deleting_an_entry_frees_its_version_and_removes_its_zip(svc: Services) -> None:
    entry = svc.plugin(version="1.0.0")
    assert svc.container.artifacts.local_path(entry["artifactKey"]) is not None
    catalog.delete_entry(store=svc.store, artifacts=svc.container.artifacts, clock=svc.clock, actor=svc.actor,
                         entry=entry)
    assert svc.container.artifacts.local_path(entry["artifactKey"]) is None
    assert refused(catalog.get_entry, store=svc.store, plugin_id=entry["pluginId"]) == (404, "PLUG_001")
    assert svc.plugin(version="1.0.0")["pluginId"] != entry["pluginId"]  # the version may be uploaded again


def test_a_site_gets_a_checked_copy_of_the_zip_and_never_a_changed_one(svc: Services) -> None:
    entry = svc.plugin(version="1.0.0")
    work = svc.root / rid("work")
    work.mkdir()
    copy = catalog.archive_of(container=svc.container, entry=entry, work_dir=work)
    stored = svc.container.artifacts.local_path(entry["artifactKey"])
    assert stored is not None and copy.read_bytes() == stored.read_bytes()
    copy.unlink()
    stored.write_bytes(stored.read_bytes() + b"changed")
    with pytest.raises(catalog.ArchiveUnusable) as caught:
        catalog.archive_of(container=svc.container, entry=entry, work_dir=work)
    assert caught.value.code == "PLUGIN_ARCHIVE_UNUSABLE" and list(work.iterdir()) == []
