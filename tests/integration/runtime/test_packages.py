"""Plugin and theme packages on the local runtime: safe unpacking, atomic replacement, removal, inventory."""

from __future__ import annotations

import hashlib
import io
import os
import stat
import zipfile
from pathlib import Path

import pytest

from bbws.core.driver import DriverError, InstanceSpec, SiteInfo
from tests.integration.runtime.helpers import Runtime, get

ECHO_PLUGIN = """<?php
/*
Plugin Name: BBWS Echo
Version: {version}
*/
add_action('wp_footer', function () {{
    echo '<p id="bbws-echo">' . esc_html(get_option('bbws_echo_message', 'unset')) . ' v{version}</p>';
}});
"""
PLAIN_THEME = "/*\nTheme Name: BBWS Plain\nVersion: {version}\n*/\n"


def zipped(members: dict[str, str | bytes], *, links: dict[str, str] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        for name, content in members.items():
            out.writestr(name, content)
        for name, target in (links or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            out.writestr(info, target)
    return buffer.getvalue()


def echo_plugin(slug: str, version: str) -> dict[str, str | bytes]:
    return {f"{slug}/{slug}.php": ECHO_PLUGIN.format(version=version), f"{slug}/readme.txt": "=== Echo ===\n"}


def plain_theme(slug: str, version: str) -> dict[str, str | bytes]:
    return {
        f"{slug}/style.css": PLAIN_THEME.format(version=version),
        f"{slug}/index.php": "<?php wp_head(); echo 'plain theme'; wp_footer();\n",
    }


def key_of(site: SiteInfo) -> str:
    return site.database_user.removeprefix("wp_")


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_install_update_and_remove_a_plugin(
    runtime: Runtime, served: tuple[InstanceSpec, SiteInfo], tmp_path: Path
) -> None:
    spec, site = served
    driver, key = runtime.driver, key_of(site)
    plugins = Path(site.files_path) / "wp-content" / "plugins"
    first = tmp_path / "echo-1.zip"
    first.write_bytes(zipped(echo_plugin("bbws-echo", "1.0.0")))
    installed = driver.install_package(spec, key, "plugin", first)
    assert installed == {
        "kind": "plugin",
        "slug": "bbws-echo",
        "name": "BBWS Echo",
        "version": "1.0.0",
        "active": False,
    }
    assert driver.install_package(spec, key, "plugin", first)["version"] == "1.0.0"  # a retried job finishes
    driver.run_admin(spec, key, "activate-plugin", {"plugin": "bbws-echo"})
    driver.run_admin(spec, key, "set-options", {"options": {"bbws_echo_message": "hello from the platform"}})
    assert b"hello from the platform v1.0.0" in get(site.url)[1]

    second = tmp_path / "echo-2.zip"
    second.write_bytes(zipped(echo_plugin("bbws-echo", "2.0.0")))
    assert driver.install_package(spec, key, "plugin", second)["version"] == "2.0.0"
    status = {p["slug"]: p for p in driver.run_admin(spec, key, "plugins")}["bbws-echo"]
    assert status["active"] is True and status["version"] == "2.0.0"  # replacing the folder keeps it active
    assert b"hello from the platform v2.0.0" in get(site.url)[1]
    assert not [n for n in listing(plugins) if n.startswith(".bbws-")]  # no temporary folder left behind

    driver.remove_package(spec, key, "plugin", "bbws-echo")
    assert "bbws-echo" not in listing(plugins)
    assert "bbws-echo" not in {p["slug"] for p in driver.run_admin(spec, key, "plugins")}
    assert b"hello from the platform" not in get(site.url)[1]
    driver.remove_package(spec, key, "plugin", "bbws-echo")  # already gone: done


def test_a_plugin_update_is_served_on_the_very_next_request(
    runtime: Runtime, served: tuple[InstanceSpec, SiteInfo], tmp_path: Path
) -> None:
    """Each version's files were compiled and cached by the PHP workers (they are older than opcache's update
    protection) and the update comes right after a request checked them: no revalidation interval may hide it.
    The versions have the same length, so the files have the same size."""
    spec, site = served
    driver, key = runtime.driver, key_of(site)
    main = Path(site.files_path) / "wp-content" / "plugins" / "bbws-echo" / "bbws-echo.php"
    for number, version in enumerate(("1.0.1", "1.0.2", "1.0.3")):
        archive = tmp_path / f"echo-{version}.zip"
        archive.write_bytes(zipped(echo_plugin("bbws-echo", version)))
        assert driver.install_package(spec, key, "plugin", archive)["version"] == version
        if number == 0:
            driver.run_admin(spec, key, "activate-plugin", {"plugin": "bbws-echo"})
        assert f" v{version}</p>".encode() in get(site.url)[1]
        old = main.stat().st_mtime - 60
        for path in main.parent.rglob("*"):
            os.utime(path, (old, old))  # as if installed a minute ago: cached by every request from now on
        for _ in range(4):  # the workers (and opcache's copy) settle on this version
            assert f" v{version}</p>".encode() in get(site.url)[1]
    driver.remove_package(spec, key, "plugin", "bbws-echo")


def test_what_the_runtime_wrote_is_owner_only(runtime: Runtime, served: tuple[InstanceSpec, SiteInfo]) -> None:
    """Site files, wp-config, MariaDB's data and logs, PHP's logs: 0600 files and 0700 folders (sockets aside)."""
    root = runtime.driver.root
    too_open = [
        f"{p.relative_to(root)} {oct(stat.S_IMODE(p.lstat().st_mode))}"
        for p in root.rglob("*")
        if (p.is_file() or p.is_dir()) and not p.is_symlink() and stat.S_IMODE(p.lstat().st_mode) & 0o077
    ]
    assert too_open == []


def test_a_theme_installs_switches_and_cannot_be_removed_while_active(
    runtime: Runtime, served: tuple[InstanceSpec, SiteInfo], tmp_path: Path
) -> None:
    spec, site = served
    driver, key = runtime.driver, key_of(site)
    before = driver.run_admin(spec, key, "get-options", {"names": ["stylesheet"]})["options"]["stylesheet"]
    archive = tmp_path / "theme.zip"
    archive.write_bytes(zipped(plain_theme("bbws-plain", "1.2")))
    assert driver.install_package(spec, key, "theme", archive) == {
        "kind": "theme",
        "slug": "bbws-plain",
        "name": "BBWS Plain",
        "version": "1.2",
        "active": False,
    }
    driver.run_admin(spec, key, "switch-theme", {"theme": "bbws-plain"})
    assert b"plain theme" in get(site.url)[1]
    with pytest.raises(DriverError) as refused:
        driver.remove_package(spec, key, "theme", "bbws-plain")
    assert refused.value.code == "THEME_ACTIVE"
    assert (Path(site.files_path) / "wp-content" / "themes" / "bbws-plain").is_dir()
    driver.run_admin(spec, key, "switch-theme", {"theme": before})
    driver.remove_package(spec, key, "theme", "bbws-plain")
    assert "bbws-plain" not in {t["theme"] for t in driver.run_admin(spec, key, "themes")}


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"not a zip at all", "not a readable zip"),
        (
            zipped({"evil/evil.php": "<?php\n/*\nPlugin Name: Evil\n*/", "evil/../../../escape.php": "<?php"}),
            "outside its folder",
        ),
        (zipped({"/tmp/absolute.php": "<?php"}), "outside its folder"),
        (zipped({"evil\\..\\..\\escape.php": "<?php"}), "outside its folder"),
        (
            zipped({"linky/linky.php": "<?php\n/*\nPlugin Name: Linky\n*/"}, links={"linky/passwd": "/etc/passwd"}),
            "link or a special file",
        ),
        (zipped({"loose.php": "<?php\n/*\nPlugin Name: Loose\n*/"}), "one top-level folder"),
        (zipped({"one/one.php": "<?php\n/*\nPlugin Name: One\n*/", "two/two.php": "<?php"}), "one top-level folder"),
        (zipped({"headless/headless.php": "<?php echo 1;"}), "no header"),
        (zipped({"index.php/x.php": "<?php\n/*\nPlugin Name: Dotted\n*/"}), "not a valid slug"),
    ],
    ids=["not-zip", "dotdot", "absolute", "backslash", "symlink", "no-folder", "two-folders", "no-header", "dotted"],
)
def test_unsafe_or_broken_packages_are_refused_and_change_nothing(
    runtime: Runtime, served: tuple[InstanceSpec, SiteInfo], tmp_path: Path, content: bytes, reason: str
) -> None:
    spec, site = served
    content_dir = Path(site.files_path) / "wp-content"
    before = sorted(str(p.relative_to(content_dir.parent)) for p in content_dir.parent.rglob("*"))
    archive = tmp_path / "bad.zip"
    archive.write_bytes(content)
    with pytest.raises(DriverError, match=reason) as refused:
        runtime.driver.install_package(spec, key_of(site), "plugin", archive)
    assert refused.value.code == "INVALID_PACKAGE"
    assert sorted(str(p.relative_to(content_dir.parent)) for p in content_dir.parent.rglob("*")) == before
    assert not (Path(site.files_path).parent / "escape.php").exists()


def test_bad_arguments_and_unknown_sites_are_refused(
    runtime: Runtime, served: tuple[InstanceSpec, SiteInfo], tmp_path: Path
) -> None:
    spec, site = served
    archive = tmp_path / "ok.zip"
    archive.write_bytes(zipped(echo_plugin("fine", "1")))
    with pytest.raises(DriverError) as wrong_kind:
        runtime.driver.install_package(spec, key_of(site), "widget", archive)
    assert wrong_kind.value.code == "INVALID_ARGUMENT"
    for slug in ("../themes", "..", "a/b", ""):
        with pytest.raises(DriverError) as bad_slug:
            runtime.driver.remove_package(spec, key_of(site), "plugin", slug)
        assert bad_slug.value.code == "INVALID_ARGUMENT"
    with pytest.raises(DriverError) as unknown:
        runtime.driver.install_package(spec, "nosuchsite", "plugin", archive)
    assert unknown.value.code == "NOT_FOUND"


def test_inventory_reports_versions_tables_options_uploads_and_file_hashes(
    runtime: Runtime, served: tuple[InstanceSpec, SiteInfo]
) -> None:
    spec, site = served
    driver, key = runtime.driver, key_of(site)
    content = Path(site.files_path) / "wp-content"
    upload = content / "uploads" / "2024" / "01" / "note.txt"
    upload.parent.mkdir(parents=True, exist_ok=True)
    upload.write_bytes(b"twelve bytes")
    (content / "cache").mkdir(exist_ok=True)
    (content / "cache" / "page.html").write_text("cached")
    try:
        plain = driver.run_admin(spec, key, "inventory")
        assert plain["wordpress"] == spec.wordpress_version and "MariaDB" in plain["database"]
        assert plain["options"]["siteurl"] == site.url.rstrip("/") and plain["options"]["blogname"]
        assert plain["theme"]["slug"] == plain["options"]["stylesheet"] and plain["theme"]["version"]
        assert "akismet" in {p["slug"] for p in plain["plugins"]}
        tables = {t["name"]: t for t in plain["tables"]}
        assert {"wp_posts", "wp_options", "wp_users"} <= set(tables)
        assert tables["wp_posts"]["rows"] >= 1 and tables["wp_posts"]["checksum"]
        assert plain["uploads"] == {"files": 1, "bytes": 12}
        assert "files" not in plain

        driver.run_admin(spec, key, "create-post", {"title": "Inventory changes"})
        full = driver.run_admin(spec, key, "inventory", {"files": True})
        assert {t["name"]: t for t in full["tables"]}["wp_posts"]["checksum"] != tables["wp_posts"]["checksum"]
        assert {t["name"]: t for t in full["tables"]}["wp_users"] == tables["wp_users"]
        files = full["files"]
        assert files["uploads/2024/01/note.txt"] == hashlib.md5(b"twelve bytes").hexdigest()
        assert (
            files["plugins/akismet/akismet.php"]
            == hashlib.md5((content / "plugins" / "akismet" / "akismet.php").read_bytes()).hexdigest()
        )
        assert not [name for name in files if name.startswith("cache/")]
    finally:
        upload.unlink()
        (content / "cache" / "page.html").unlink()


def test_get_and_set_options_in_one_run(runtime: Runtime, served: tuple[InstanceSpec, SiteInfo]) -> None:
    spec, site = served
    driver, key = runtime.driver, key_of(site)
    written = driver.run_admin(
        spec, key, "set-options", {"options": {"bbws_test_a": "one", "bbws_test_b": {"nested": [1, 2]}}}
    )
    assert written["options"] == {"bbws_test_a": "one", "bbws_test_b": {"nested": [1, 2]}}
    read = driver.run_admin(spec, key, "get-options", {"names": ["bbws_test_a", "bbws_test_b", "bbws_absent"]})
    assert read["options"] == {"bbws_test_a": "one", "bbws_test_b": {"nested": [1, 2]}, "bbws_absent": None}
    removed = driver.run_admin(spec, key, "set-options", {"options": {"bbws_test_a": None, "bbws_test_b": None}})
    assert removed["options"] == {"bbws_test_a": None, "bbws_test_b": None}
