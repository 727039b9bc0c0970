"""Plugin and theme zips for tests: the project's own fixture plugins, version variants, and broken packages."""

from __future__ import annotations

import os
import re
import shutil
import stat
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.support.api import ApiHarness

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "plugins"
FIXTURE_SLUGS = ("bbws-hello", "bbws-headers")


def fixture_folder(slug: str) -> Path:
    """The folder of one of the project's test plugins (`tests/fixtures/plugins/<slug>`)."""
    folder = FIXTURES / slug
    if not folder.is_dir():
        raise FileNotFoundError(f"no fixture plugin {slug!r}; have {', '.join(FIXTURE_SLUGS)}")
    return folder


def zip_folder(folder: Path, dest: Path, *, top: str | None = None) -> Path:
    """Zip `folder` as `<top>/...` (top defaults to the folder's name), the layout WordPress installs.
    Symbolic links are stored as the files they point to (a Debian package links to shared copies)."""
    top = top or folder.name
    dest.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo(f"{top}/"), b"")
        for path in sorted(folder.rglob("*")):
            relative = path.relative_to(folder).as_posix()
            if path.is_dir():
                archive.writestr(zipfile.ZipInfo(f"{top}/{relative}/"), b"")
            elif path.is_file():
                archive.write(path.resolve(), f"{top}/{relative}")
    return dest


def versioned(slug: str, version: str, work_dir: Path, *, requires_wp: str | None = None) -> Path:
    """A copy of a fixture plugin whose `Version:` (and optionally `Requires at least:`) header is changed."""
    folder = work_dir / f"{slug}-{version}" / slug
    shutil.copytree(fixture_folder(slug), folder)
    main = folder / f"{slug}.php"
    text = re.sub(r"(?m)^( \* Version:).*$", rf"\g<1> {version}", main.read_text())
    if requires_wp is not None:
        text = re.sub(r"(?m)^( \* Requires at least:).*$", rf"\g<1> {requires_wp}", text)
    main.write_text(text)
    return folder


def fixture_zip(slug: str, work_dir: Path, *, version: str | None = None, requires_wp: str | None = None) -> Path:
    """A fixture plugin zipped, optionally as another version."""
    folder = versioned(slug, version, work_dir, requires_wp=requires_wp) if version else fixture_folder(slug)
    return zip_folder(folder, work_dir / f"{slug}-{version or 'fixture'}.zip")


def theme_zip(dest: Path, *, slug: str = "bbws-plain", version: str = "1.0.0", name: str = "BBWS Plain") -> Path:
    """A minimal classic theme: `style.css` with its header, and an index.php."""
    header = f"/*\nTheme Name: {name}\nVersion: {version}\nRequires at least: 5.0\n*/\nbody {{ margin: 0; }}\n"
    return zip_members(dest, {f"{slug}/style.css": header.encode(), f"{slug}/index.php": b"<?php\nget_header();\n"})


def plugin_php(name: str = "Bad Example", version: str | None = "1.0.0") -> bytes:
    lines = ["<?php", "/*", f" * Plugin Name: {name}"] + ([f" * Version: {version}"] if version else []) + [" */"]
    return ("\n".join(lines) + "\n").encode()


# -- broken packages -----------------------------------------------------------------------------------------
def zip_members(dest: Path, members: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> Path:
    """A zip holding exactly these names (written as given: no path cleaning, so unsafe names stay unsafe)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(dest, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name), data, compress_type=compression)
    return dest


def not_a_zip(dest: Path) -> Path:
    dest.write_bytes(b"<?php\n/* Plugin Name: Not a zip */\n" * 20)
    return dest


def truncated_zip(dest: Path) -> Path:
    """A real zip cut in half: its central directory is gone."""
    whole = fixture_zip("bbws-hello", dest.parent / "whole").read_bytes()
    dest.write_bytes(whole[: len(whole) // 2])
    return dest


def bad_crc_zip(dest: Path) -> Path:
    """A stored (uncompressed) zip whose member bytes were changed after writing: the CRC no longer matches."""
    zip_members(
        dest,
        {"bad-crc/bad-crc.php": plugin_php("Bad CRC") + b"/*" + b"x" * 200 + b"*/\n"},
        compression=zipfile.ZIP_STORED,
    )
    data = bytearray(dest.read_bytes())
    at = data.index(b"x" * 200)
    data[at : at + 10] = b"y" * 10
    dest.write_bytes(bytes(data))
    return dest


def without_header(dest: Path) -> Path:
    return zip_members(dest, {"no-header/no-header.php": b"<?php\necho 'hi';\n", "no-header/readme.txt": b"hi\n"})


def without_version(dest: Path) -> Path:
    return zip_members(dest, {"no-version/no-version.php": plugin_php("No Version", None)})


def with_traversal(dest: Path) -> Path:
    return zip_members(dest, {"evil/evil.php": plugin_php("Evil"), "evil/../../../wp-config.php": b"<?php\n"})


def with_absolute_path(dest: Path) -> Path:
    return zip_members(dest, {"evil/evil.php": plugin_php("Evil"), "/etc/cron.d/evil": b"* * * * * root id\n"})


def with_backslash(dest: Path) -> Path:
    return zip_members(dest, {"evil/evil.php": plugin_php("Evil"), "evil/..\\..\\wp-config.php": b"<?php\n"})


def with_symlink(dest: Path) -> Path:
    """A member marked as a symbolic link (Unix mode in the external attributes) to the site's wp-config.php."""
    zip_members(dest, {"evil/evil.php": plugin_php("Evil")})
    link = zipfile.ZipInfo("evil/config.php")
    link.create_system = 3
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    with zipfile.ZipFile(dest, "a") as archive:
        archive.writestr(link, "../../../wp-config.php")
    return dest


def with_two_tops(dest: Path) -> Path:
    return zip_members(dest, {"one/one.php": plugin_php("One"), "two/two.php": plugin_php("Two")})


def with_loose_file(dest: Path) -> Path:
    return zip_members(dest, {"loose/loose.php": plugin_php("Loose"), "readme.txt": b"outside the folder\n"})


def with_bad_slug(dest: Path) -> Path:
    return zip_members(dest, {"Bad Slug/bad.php": plugin_php("Bad Slug")})


def zip_bomb(dest: Path, *, unpacked: int = 32 << 20) -> Path:
    """A valid plugin plus one member of zeros that packs about 1000 times (a few dozen KiB for 32 MiB)."""
    zip_members(dest, {"bomb/bomb.php": plugin_php("Bomb")})
    with zipfile.ZipFile(dest, "a", zipfile.ZIP_DEFLATED) as archive, archive.open("bomb/zeros.bin", "w") as out:
        chunk = bytes(1 << 20)
        for _ in range(unpacked >> 20):
            out.write(chunk)
    return dest


def padded_plugin(dest: Path, *, size: int, slug: str = "padded") -> Path:
    """A valid plugin whose zip is about `size` bytes (a member of incompressible bytes)."""
    return zip_members(
        dest,
        {f"{slug}/{slug}.php": plugin_php("Padded"), f"{slug}/noise.bin": os.urandom(size)},
        compression=zipfile.ZIP_STORED,
    )


# -- the catalog API -----------------------------------------------------------------------------------------
def catalog_harness(data_dir: Path, **settings: Any) -> ApiHarness:
    """The API harness with the catalog's routes (added here until the app includes them itself)."""
    from bbws.plugins.api import router
    from tests.support.api import ApiHarness

    harness = ApiHarness(data_dir, **settings)
    if not any(getattr(route, "path", "") == "/v1.0/plugins" for route in harness.app.routes):
        harness.app.include_router(router)
    return harness


def upload(harness: ApiHarness, archive: Path, headers: dict[str, str] | None = None) -> Any:
    """POST a zip to the catalog (as a platform admin unless other headers are given)."""
    return harness.client.post(
        "/v1.0/plugins",
        content=archive.read_bytes(),
        headers={**(headers if headers is not None else harness.admin()), "Content-Type": "application/zip"},
    )
