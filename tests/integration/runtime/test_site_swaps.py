"""Replacing a live site (restore, promotion, template) builds the new copy beside it and switches in one step:
visitors see the old site or the new one, never a 404 or a 500, and a replacement cut short at any moment is finished
or undone by the next attempt, leaving no database or folder behind."""

from __future__ import annotations

import tarfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from bbws.core.driver import DriverError, InstanceSpec, SiteInfo
from bbws.instances.local import swap
from bbws.instances.local.layout import MAINTENANCE_FLAG
from tests.integration.runtime.helpers import Runtime, get, make_site

PROBE_EVERY = 0.02  # seconds: ten times as often as a visitor-facing check would


def key_of(site: SiteInfo) -> str:
    return site.database_user.removeprefix("wp_")


@contextmanager
def probing(url: str) -> Iterator[list[int | None]]:
    """GET `url` over and over while the block runs; the statuses seen, in order."""
    seen: list[int | None] = []
    done = threading.Event()

    def probe() -> None:
        while not done.is_set():
            seen.append(get(url)[0])
            done.wait(PROBE_EVERY)

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    try:
        yield seen
    finally:
        done.set()
        thread.join(timeout=15)


def titles(site: SiteInfo) -> str:
    code, body = get(site.url + "wp-json/wp/v2/posts?per_page=100")
    assert code == 200, body[:300]
    return body.decode()


def leftovers(runtime: Runtime, spec: InstanceSpec, site: SiteInfo) -> dict[str, Any]:
    """What the site holds besides its live copy: databases of its user, hidden folders, registry markers."""
    files = runtime.driver.files(spec)
    entry = files.read_sites()[key_of(site)]
    databases = {row[0] for row in runtime.root_sql("SHOW DATABASES")}
    mine = {name for name in databases if name == site.database_user or name.startswith(site.database_user + "$")}
    return {
        "databases": sorted(mine - {entry.get("database", site.database_user)}),
        "folders": sorted(p.name for p in files.www.iterdir() if p.name.startswith(".")),
        "markers": sorted(set(entry) & {"staging", "retired"}),
    }


CLEAN: dict[str, list[str]] = {"databases": [], "folders": [], "markers": []}


@pytest.fixture
def live(
    runtime: Runtime, fresh_instance: Callable[..., InstanceSpec], tmp_path: Path
) -> tuple[InstanceSpec, SiteInfo, Path]:
    """A site with a post "Kept in the backup", its backup archive, then a post "Made after the backup"."""
    spec = fresh_instance()
    site = runtime.driver.install_site(spec, make_site())
    runtime.driver.run_admin(spec, key_of(site), "create-post", {"title": "Kept in the backup"})
    archive = runtime.driver.export_site(spec, key_of(site), tmp_path / "backup.tar.gz")
    runtime.driver.run_admin(spec, key_of(site), "create-post", {"title": "Made after the backup"})
    assert get(site.url)[0] == 200
    return spec, site, archive


def same_site(site: SiteInfo) -> Any:
    return make_site(key=key_of(site), path=site.path, title="Restored")


def test_a_restore_and_a_promotion_over_a_live_site_never_show_a_gap(
    runtime: Runtime, fresh_instance: Callable[..., InstanceSpec], live: tuple[InstanceSpec, SiteInfo, Path]
) -> None:
    spec, site, archive = live
    with probing(site.url) as seen:
        restored = runtime.driver.import_site(spec, same_site(site), archive)
    assert seen and set(seen) == {200}, f"statuses during the restore: {sorted(set(seen), key=str)}"
    assert "Kept in the backup" in titles(site) and "Made after the backup" not in titles(site)
    assert restored.database == site.database_user + "$1" and restored.url == site.url
    assert leftovers(runtime, spec, restored) == CLEAN  # the replaced database and folder are gone

    source_spec = fresh_instance(environment="sit")
    source = runtime.driver.install_site(source_spec, make_site())
    runtime.driver.run_admin(source_spec, key_of(source), "create-post", {"title": "Promoted content"})
    with probing(site.url) as seen:
        promoted = runtime.driver.copy_site(source_spec, key_of(source), spec, same_site(site))
    assert seen and set(seen) == {200}, f"statuses during the promotion: {sorted(set(seen), key=str)}"
    assert "Promoted content" in titles(site) and source.url not in titles(site).replace("\\/", "/")
    assert promoted.database == site.database_user + "$2"
    assert leftovers(runtime, spec, promoted) == CLEAN
    # The site's own user reaches its new database; no other site's user does.
    with runtime.site_connection(promoted) as conn, conn.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM wp_posts WHERE post_title = 'Promoted content'")
        assert cur.fetchone()[0] == 1
    with pytest.raises(Exception, match="denied"):
        runtime.site_connection(source, database=promoted.database)

    runtime.driver.delete_site(spec, key_of(site))
    databases = {row[0] for row in runtime.root_sql("SHOW DATABASES")}
    assert not {name for name in databases if name.startswith(site.database_user)}
    assert not [p for p in runtime.driver.files(spec).www.iterdir()]


def test_a_replacement_cut_short_before_the_switch_leaves_the_old_site_and_is_redone(
    runtime: Runtime, live: tuple[InstanceSpec, SiteInfo, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    spec, site, archive = live

    def crash(*args: Any) -> None:
        raise KeyboardInterrupt("the platform died here")

    monkeypatch.setattr(swap, "exchange", crash)
    with pytest.raises(KeyboardInterrupt):
        runtime.driver.import_site(spec, same_site(site), archive)
    assert get(site.url)[0] == 200 and "Made after the backup" in titles(site)  # the old site serves on
    assert leftovers(runtime, spec, site)["markers"] == ["staging"]

    monkeypatch.undo()
    restored = runtime.driver.import_site(spec, same_site(site), archive)  # the job's next attempt
    assert "Made after the backup" not in titles(site) and "Kept in the backup" in titles(site)
    assert leftovers(runtime, spec, restored) == CLEAN


def test_a_switch_made_but_not_recorded_is_recorded_by_the_next_attempt(
    runtime: Runtime, live: tuple[InstanceSpec, SiteInfo, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    spec, site, archive = live
    real = swap.exchange

    def switch_then_crash(new: Path, old: Path) -> None:
        real(new, old)
        raise KeyboardInterrupt("the platform died right after the switch")

    monkeypatch.setattr(swap, "exchange", switch_then_crash)
    with pytest.raises(KeyboardInterrupt):
        runtime.driver.import_site(spec, same_site(site), archive)
    assert get(site.url)[0] == 200 and "Made after the backup" not in titles(site)  # the new site serves
    monkeypatch.undo()

    again = runtime.driver.import_site(spec, same_site(site), archive)
    assert again.database == site.database_user + "$2"  # the first switch was recorded, then this one made
    assert leftovers(runtime, spec, again) == CLEAN
    assert get(site.url)[0] == 200


def test_a_half_built_replacement_is_removed_with_its_site(
    runtime: Runtime, live: tuple[InstanceSpec, SiteInfo, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    spec, site, archive = live
    monkeypatch.setattr(swap, "exchange", lambda *args: (_ for _ in ()).throw(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        runtime.driver.import_site(spec, same_site(site), archive)
    runtime.driver.delete_site(spec, key_of(site))
    databases = {row[0] for row in runtime.root_sql("SHOW DATABASES")}
    assert not {name for name in databases if name.startswith(site.database_user)}
    assert not list(runtime.driver.files(spec).www.iterdir())


def test_a_suspended_site_stays_suspended_through_a_restore(
    runtime: Runtime, live: tuple[InstanceSpec, SiteInfo, Path]
) -> None:
    spec, site, archive = live
    runtime.driver.set_site_maintenance(spec, key_of(site), True)
    assert get(site.url)[0] == 503
    runtime.driver.import_site(spec, same_site(site), archive)
    assert get(site.url)[0] == 503
    assert (Path(site.files_path) / MAINTENANCE_FLAG).is_file()
    runtime.driver.set_site_maintenance(spec, key_of(site), False)
    assert get(site.url)[0] == 200


def test_a_long_replacement_holds_neither_its_neighbours_nor_health_reads(
    runtime: Runtime, live: tuple[InstanceSpec, SiteInfo, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    spec, site, archive = live
    neighbour = runtime.driver.install_site(spec, make_site())
    building, release = threading.Event(), threading.Event()
    real = swap.exchange

    def slow_switch(new: Path, old: Path) -> None:
        building.set()
        release.wait(60)
        real(new, old)

    monkeypatch.setattr(swap, "exchange", slow_switch)
    restore = threading.Thread(target=runtime.driver.import_site, args=(spec, same_site(site), archive), daemon=True)
    restore.start()
    try:
        assert building.wait(60), "the replacement never reached its switch"
        # Meanwhile: reads of the site being replaced, and every action on another site of the instance, go on.
        assert runtime.driver.run_admin(spec, key_of(site), "health")["wordpress"]
        assert runtime.driver.site_info(spec, key_of(neighbour)) is not None
        runtime.driver.set_site_maintenance(spec, key_of(neighbour), True)
        runtime.driver.set_site_maintenance(spec, key_of(neighbour), False)
        third = runtime.driver.install_site(spec, make_site())  # the registry takes both writers' entries
        assert restore.is_alive()
    finally:
        release.set()
        restore.join(120)
    entries = runtime.driver.files(spec).read_sites()
    assert {key_of(site), key_of(neighbour), key_of(third)} <= set(entries)
    assert entries[key_of(site)]["database"] == site.database_user + "$1"
    assert leftovers(runtime, spec, site) == CLEAN


def test_a_replacement_that_fails_is_undone_at_once_and_the_site_serves_on(
    runtime: Runtime, live: tuple[InstanceSpec, SiteInfo, Path], tmp_path: Path
) -> None:
    spec, site, archive = live
    broken = tmp_path / "broken.tar.gz"
    unpacked = tmp_path / "unpacked"
    unpacked.mkdir()
    with tarfile.open(archive) as tar:
        tar.extractall(unpacked, filter="data")
    (unpacked / "database.sql").write_text("THIS IS NOT SQL;\n")
    with tarfile.open(broken, "w:gz") as tar:
        for name in ("manifest.json", "database.sql", "wp-content"):
            tar.add(unpacked / name, arcname=name)
    with pytest.raises(DriverError, match="loading the dump"):
        runtime.driver.import_site(spec, same_site(site), broken)
    assert leftovers(runtime, spec, site) == CLEAN
    assert get(site.url)[0] == 200 and "Made after the backup" in titles(site)
