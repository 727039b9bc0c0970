"""Zip inspection on real files: the project's fixture plugins pass, every unsafe or broken package is refused."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from bbws.plugins.package import PackageRejected, inspect_package
from tests.support import packages

LIMIT = 20 << 20


def test_fixture_plugins_are_accepted(tmp_path: Path) -> None:
    info = inspect_package(packages.fixture_zip("bbws-hello", tmp_path), max_bytes=LIMIT)
    assert (info.kind, info.slug, info.name, info.version) == ("plugin", "bbws-hello", "BBWS Hello", "1.0.0")
    assert (info.min_wordpress_version, info.requires_php) == ("5.0", "7.4")
    assert info.files == 2 and info.unpacked_bytes > 0
    other = inspect_package(packages.fixture_zip("bbws-headers", tmp_path), max_bytes=LIMIT)
    assert (other.slug, other.version, other.requires_php) == ("bbws-headers", "2.0.0", None)


def test_a_version_variant_reports_its_version(tmp_path: Path) -> None:
    archive = packages.fixture_zip("bbws-hello", tmp_path, version="1.1.0", requires_wp="6.2")
    info = inspect_package(archive, max_bytes=LIMIT)
    assert (info.version, info.min_wordpress_version) == ("1.1.0", "6.2")


def test_a_theme_is_recognised_by_its_stylesheet(tmp_path: Path) -> None:
    info = inspect_package(packages.theme_zip(tmp_path / "theme.zip", version="2.1"), max_bytes=LIMIT)
    assert (info.kind, info.slug, info.name, info.version) == ("theme", "bbws-plain", "BBWS Plain", "2.1")


def test_the_plugin_header_may_be_in_any_top_level_php_file(tmp_path: Path) -> None:
    archive = packages.zip_members(
        tmp_path / "p.zip",
        {
            "odd/index.php": b"<?php // Silence is golden.\n",
            "odd/main.php": packages.plugin_php("Odd Name", "3.0"),
            "odd/inc/other.php": packages.plugin_php("Not This One", "9.9"),
        },
    )
    info = inspect_package(archive, max_bytes=LIMIT)
    assert (info.slug, info.name, info.version) == ("odd", "Odd Name", "3.0")


def test_a_header_in_a_subfolder_does_not_count(tmp_path: Path) -> None:
    archive = packages.zip_members(tmp_path / "p.zip", {"deep/inc/deep.php": packages.plugin_php("Deep")})
    with pytest.raises(PackageRejected) as caught:
        inspect_package(archive, max_bytes=LIMIT)
    assert caught.value.field == "header"


BAD: list[tuple[Callable[[Path], Path], int, str, str]] = [
    (packages.not_a_zip, 422, "PLUGIN_PACKAGE_INVALID", "not a zip"),
    (packages.truncated_zip, 422, "PLUGIN_PACKAGE_INVALID", "not a zip"),
    (packages.bad_crc_zip, 422, "PLUGIN_PACKAGE_INVALID", "Bad CRC"),
    (packages.without_header, 422, "PLUGIN_PACKAGE_INVALID", "No plugin header"),
    (packages.without_version, 422, "PLUGIN_PACKAGE_INVALID", "no 'Version:'"),
    (packages.with_traversal, 422, "PLUGIN_PACKAGE_INVALID", "escape"),
    (packages.with_absolute_path, 422, "PLUGIN_PACKAGE_INVALID", "absolute path"),
    (packages.with_backslash, 422, "PLUGIN_PACKAGE_INVALID", "backslash"),
    (packages.with_symlink, 422, "PLUGIN_PACKAGE_INVALID", "symbolic link"),
    (packages.with_two_tops, 422, "PLUGIN_PACKAGE_INVALID", "exactly one top-level folder"),
    (packages.with_loose_file, 422, "PLUGIN_PACKAGE_INVALID", "exactly one top-level folder"),
    (packages.with_bad_slug, 422, "PLUGIN_PACKAGE_INVALID", "not a slug"),
    (packages.zip_bomb, 413, "PLUGIN_PACKAGE_TOO_LARGE", "zip bomb"),
]


@pytest.mark.parametrize(("build", "status", "code", "said"), BAD, ids=[b[0].__name__ for b in BAD])
def test_bad_packages_are_refused(
    tmp_path: Path, build: Callable[[Path], Path], status: int, code: str, said: str
) -> None:
    archive = build(tmp_path / "bad.zip")
    with pytest.raises(PackageRejected) as caught:
        inspect_package(archive, max_bytes=LIMIT)
    assert (caught.value.status, caught.value.code) == (status, code)
    assert said in caught.value.reason
    assert caught.value.errors == [{"field": caught.value.field, "message": caught.value.reason}]


def test_the_zip_itself_is_bounded(tmp_path: Path) -> None:
    archive = packages.padded_plugin(tmp_path / "big.zip", size=10_000)
    with pytest.raises(PackageRejected) as caught:
        inspect_package(archive, max_bytes=8_192)
    assert (caught.value.status, caught.value.code) == (413, "PLUGIN_PACKAGE_TOO_LARGE")
    assert inspect_package(archive, max_bytes=20_000).slug == "padded"


def test_what_it_unpacks_to_is_bounded(tmp_path: Path) -> None:
    """Text that packs well, under the bomb ratio, but over the unpacked limit."""
    text = b"".join(b"line %d of a long php file\n" % i for i in range(40_000))  # ~1 MiB, packs ~5 times
    archive = packages.zip_members(
        tmp_path / "p.zip", {"wide/wide.php": packages.plugin_php("Wide"), "wide/data.txt": text}
    )
    assert inspect_package(archive, max_bytes=LIMIT).unpacked_bytes > len(text)
    with pytest.raises(PackageRejected) as caught:
        inspect_package(archive, max_bytes=LIMIT, max_unpacked=len(text) // 2)
    assert caught.value.status == 413 and "unpacks to" in caught.value.reason


def _declare_size(archive: Path, name: str, size: int) -> None:
    """Rewrite the uncompressed size a member declares, in its local header and in the central directory."""
    data = bytearray(archive.read_bytes())
    with zipfile.ZipFile(archive) as z:
        local = z.getinfo(name).header_offset
    data[local + 22 : local + 26] = size.to_bytes(4, "little")
    central = data.rindex(name.encode()) - 46  # the central directory comes after every local header
    assert data[central : central + 4] == b"PK\x01\x02"
    data[central + 24 : central + 28] = size.to_bytes(4, "little")
    archive.write_bytes(bytes(data))


def test_a_member_that_lies_about_its_size_is_refused(tmp_path: Path) -> None:
    """It declares 10 bytes but unpacks to 1 MiB: reading stops at 10 bytes and the CRC check fails."""
    archive = packages.zip_members(
        tmp_path / "p.zip", {"liar/liar.php": packages.plugin_php("Liar"), "liar/data.bin": bytes(1 << 20)}
    )
    _declare_size(archive, "liar/data.bin", 10)
    with zipfile.ZipFile(archive) as z:
        assert z.getinfo("liar/data.bin").file_size == 10
    with pytest.raises(PackageRejected) as caught:
        inspect_package(archive, max_bytes=LIMIT)
    assert caught.value.status == 422 and "corrupt" in caught.value.reason


def test_duplicate_member_names_are_refused(tmp_path: Path) -> None:
    archive = tmp_path / "dup.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("dup/dup.php", packages.plugin_php("Dup"))
        with pytest.warns(UserWarning):
            z.writestr("dup/dup.php", b"<?php evil();")
    with pytest.raises(PackageRejected) as caught:
        inspect_package(archive, max_bytes=LIMIT)
    assert "twice" in caught.value.reason


NEVER_INSTALLS: list[tuple[dict[str, bytes], str, str]] = [
    ({"x/x.php": packages.plugin_php("X"), "x/a": b"file", "x/a/b.php": b"<?php"}, "x/a", "needs it to be a folder"),
    ({"x/x.php": packages.plugin_php("X"), "x/a/b/c.php": b"<?php", "x/a/b": b"file"}, "x/a/b",
     "needs it to be a folder"),
    ({"x/x.php": packages.plugin_php("X"), "x/a/": b"", "x/a": b"file"}, "x/a", "appears twice"),
    ({"x/x.php": packages.plugin_php("X"), f"x/{'n' * 256}.php": b"<?php"}, f"x/{'n' * 256}.php", "255 bytes"),
    ({"x/x.php": packages.plugin_php("X"), f"x/{'é' * 128}.php": b"<?php"}, f"x/{'é' * 128}.php", "255 bytes"),
    ({"x/x.php": packages.plugin_php("X"), f"x/{'d' * 200}/" * 6 + "f.php": b"<?php"}, f"x/{'d' * 200}/" * 6 + "f.php",
     "the limit is 1024"),
    ({"x/x.php": packages.plugin_php("X"), "x/Readme.txt": b"a", "x/readme.txt": b"b"}, "x/readme.txt",
     "differ only in letter case"),
    ({"x/x.php": packages.plugin_php("X"), "x/Lib": b"a", "x/lib/a.php": b"<?php"}, "x/Lib",
     "differ only in letter case"),
    ({"x/x.php": packages.plugin_php("X"), "x/caf\u00e9.php": b"a", "x/cafe\u0301.php": b"b"}, "x/cafe\u0301.php",
     "differ only in letter case"),
]


@pytest.mark.parametrize(("members", "member", "said"), NEVER_INSTALLS, ids=[
    "file-and-folder", "folder-below-a-later-file", "file-and-folder-entry", "part-over-255-bytes",
    "part-over-255-utf8-bytes", "path-over-1024-bytes", "case-collision", "case-collision-with-a-folder",
    "unicode-normalisation-collision",
])
def test_packages_that_could_never_be_unpacked_are_refused_naming_the_member(
    tmp_path: Path, members: dict[str, bytes], member: str, said: str
) -> None:
    archive = packages.zip_members(tmp_path / "p.zip", members)
    with pytest.raises(PackageRejected) as caught:
        inspect_package(archive, max_bytes=LIMIT)
    assert (caught.value.status, caught.value.code, caught.value.field) == (422, "PLUGIN_PACKAGE_INVALID", member)
    assert said in caught.value.reason and repr(member) in caught.value.reason


def test_folders_that_differ_only_in_case_are_accepted(tmp_path: Path) -> None:
    """They merge harmlessly where names fold case; only a file can be overwritten or shadowed."""
    archive = packages.zip_members(tmp_path / "p.zip", {
        "x/x.php": packages.plugin_php("X"), "x/Assets/a.css": b"a", "x/assets/b.css": b"b",
        f"x/{'n' * 251}.php": b"<?php",
    })
    assert inspect_package(archive, max_bytes=LIMIT).files == 4


def test_a_package_with_both_headers_is_refused(tmp_path: Path) -> None:
    archive = packages.zip_members(
        tmp_path / "p.zip",
        {"both/both.php": packages.plugin_php("Both"), "both/style.css": b"/*\nTheme Name: Both\nVersion: 1\n*/"},
    )
    with pytest.raises(PackageRejected, match="both a plugin header and a theme header"):
        inspect_package(archive, max_bytes=LIMIT)


@pytest.mark.parametrize(
    ("header", "field"),
    [
        (b"<?php\n/*\nPlugin Name: V\nVersion: 1.0 beta\n*/", "Version"),
        (b"<?php\n/*\nPlugin Name: V\nVersion: ../1\n*/", "Version"),
        (b"<?php\n/*\nPlugin Name: V\nVersion: 1.0\nRequires at least: latest\n*/", "Requires at least"),
        (b"<?php\n/*\nPlugin Name: V\nVersion: 1.0\nRequires PHP: 7.x\n*/", "Requires PHP"),
    ],
)
def test_header_values_must_be_usable(tmp_path: Path, header: bytes, field: str) -> None:
    archive = packages.zip_members(tmp_path / "p.zip", {"v/v.php": header})
    with pytest.raises(PackageRejected) as caught:
        inspect_package(archive, max_bytes=LIMIT)
    assert caught.value.field == field
