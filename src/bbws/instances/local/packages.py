"""Plugin and theme packages of a local site: unpack a zip into wp-content safely, swap folders at once, remove."""

from __future__ import annotations

import re
import secrets
import shutil
import stat
import zipfile
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from bbws.core.driver import DriverError

if TYPE_CHECKING:
    from bbws.instances.local.sites import Place, Sites

KINDS = {"plugin": "plugins", "theme": "themes"}
SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")  # no dots: `index.php` beside the folders stays a file
MAX_MEMBERS = 20_000
MAX_UNPACKED = 256 * 1024 * 1024  # a zip bomb stops here even when the catalog's own checks were bypassed
IGNORED = ("__MACOSX/",)  # what macOS adds to zips it makes
PLUGIN_HEADER = re.compile(rb"^[ \t/*#@]*Plugin Name:", re.MULTILINE | re.IGNORECASE)
THEME_HEADER = re.compile(rb"^[ \t/*#@]*Theme Name:", re.MULTILINE | re.IGNORECASE)


def _bad(reason: str) -> DriverError:
    return DriverError(reason, code="INVALID_PACKAGE")


def folder_of(kind: str) -> str:
    if kind not in KINDS:
        raise DriverError(f"kind must be plugin or theme, not {kind!r}", code="INVALID_ARGUMENT")
    return KINDS[kind]


def check_slug(slug: str) -> str:
    if not isinstance(slug, str) or not SLUG.fullmatch(slug):
        raise DriverError(f"invalid package slug {slug!r}", code="INVALID_ARGUMENT")
    return slug


def _members(archive: zipfile.ZipFile) -> tuple[str, list[tuple[zipfile.ZipInfo, PurePosixPath]]]:
    """The package's slug (its one top-level folder) and its members relative to that folder; refuses any member
    that is absolute, climbs out with `..`, is a link or a device, or a package too big once unpacked."""
    infos = [i for i in archive.infolist() if not i.filename.startswith(IGNORED)]
    if not infos or len(infos) > MAX_MEMBERS:
        raise _bad(f"a package holds 1 to {MAX_MEMBERS} files, this one {len(infos)}")
    if sum(i.file_size for i in infos) > MAX_UNPACKED:
        raise _bad(f"the package unpacks to more than {MAX_UNPACKED // (1024 * 1024)} MiB")
    out: list[tuple[zipfile.ZipInfo, PurePosixPath]] = []
    tops: set[str] = set()
    for info in infos:
        name = info.filename
        path = PurePosixPath(name)
        if "\\" in name or "\0" in name or path.is_absolute() or ".." in path.parts or not path.parts:
            raise _bad(f"the package member {name!r} would land outside its folder")
        kind = stat.S_IFMT(info.external_attr >> 16)  # 0 when the zip was not made on Unix: plain files
        if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
            raise _bad(f"the package member {name!r} is a link or a special file")
        tops.add(path.parts[0])
        out.append((info, PurePosixPath(*path.parts[1:]) if len(path.parts) > 1 else PurePosixPath(".")))
    if len(tops) != 1 or any(rel == PurePosixPath(".") and not info.is_dir() for info, rel in out):
        raise _bad("a package must hold exactly one top-level folder, named after its slug")
    slug = tops.pop()
    if not SLUG.fullmatch(slug):
        raise _bad(f"the package folder {slug!r} is not a valid slug")
    return slug, out


def _extract(archive: zipfile.ZipFile, members: list[tuple[zipfile.ZipInfo, PurePosixPath]], target: Path) -> None:
    """Write each member below `target` ourselves (no permissions, owners, links or dates taken from the zip: a
    file's mtime is when it was written, which is what tells opcache the code changed)."""
    target.mkdir()
    written = 0
    for info, relative in members:
        out = target.joinpath(*relative.parts)
        if info.is_dir():
            out.mkdir(parents=True, exist_ok=True)
            continue
        out.parent.mkdir(parents=True, exist_ok=True)
        with archive.open(info) as source, open(out, "wb") as sink:
            while chunk := source.read(1 << 16):
                written += len(chunk)
                if written > MAX_UNPACKED:  # the sizes in the zip's directory can lie
                    raise _bad(f"the package unpacks to more than {MAX_UNPACKED // (1024 * 1024)} MiB")
                sink.write(chunk)


def _has_header(kind: str, folder: Path) -> bool:
    """What WordPress looks for: a PHP file at the top with a `Plugin Name:` header, or style.css with `Theme Name:`."""
    if kind == "theme":
        style = folder / "style.css"
        return style.is_file() and bool(THEME_HEADER.search(style.read_bytes()[:8192]))
    return any(PLUGIN_HEADER.search(f.read_bytes()[:8192]) for f in folder.glob("*.php") if f.is_file())


def _clear_leftovers(parent: Path, slug: str) -> None:
    """Folders of an earlier attempt that crashed between its renames (they start with a dot: WordPress skips them)."""
    leftover = re.compile(rf"^\.bbws-(new|old)-{re.escape(slug)}-[0-9a-f]{{8}}$")
    for entry in parent.iterdir():
        if leftover.fullmatch(entry.name):
            shutil.rmtree(entry, ignore_errors=True)


def _site_content(sites: Sites, place: Place, key: str) -> Path:
    info = sites.info(place, key)
    if info is None:
        raise DriverError(f"no site {key} in this instance", code="NOT_FOUND")
    return Path(info.files_path) / "wp-content"


def installed(sites: Sites, place: Place, key: str, kind: str, slug: str) -> dict[str, Any] | None:
    """The package as WordPress reports it (`plugins` / `themes` admin commands), or None when it does not see it."""
    if kind == "plugin":
        for plugin in sites.admin(place, key, "plugins", {}):
            if plugin["slug"] == slug:
                return {
                    "kind": kind,
                    "slug": slug,
                    "name": plugin["name"],
                    "version": plugin["version"],
                    "active": plugin["active"],
                }
        return None
    for theme in sites.admin(place, key, "themes", {}):
        if theme["theme"] == slug:
            return {
                "kind": kind,
                "slug": slug,
                "name": theme["name"],
                "version": theme["version"],
                "active": theme["active"],
            }
    return None


def install(sites: Sites, place: Place, key: str, kind: str, archive: Path) -> dict[str, Any]:
    """Unpack beside the live folder, check it, then swap: a request never sees half a plugin."""
    parent = _site_content(sites, place, key) / folder_of(kind)
    parent.mkdir(parents=True, exist_ok=True)
    try:
        with zipfile.ZipFile(archive) as zipped:
            slug, members = _members(zipped)
            _clear_leftovers(parent, slug)
            fresh = parent / f".bbws-new-{slug}-{secrets.token_hex(4)}"
            try:
                _extract(zipped, members, fresh)
                if not _has_header(kind, fresh):
                    wanted = "a style.css with Theme Name" if kind == "theme" else "a PHP file with Plugin Name"
                    raise _bad(f"{slug} is not a {kind}: it has no header ({wanted})")
            except BaseException:
                shutil.rmtree(fresh, ignore_errors=True)
                raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
        raise _bad(f"{archive.name} is not a readable zip: {exc}") from exc
    target = parent / slug
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        shutil.rmtree(fresh, ignore_errors=True)
        raise _bad(f"wp-content/{folder_of(kind)}/{slug} is not a folder; it is left alone")
    if target.exists():
        old = parent / f".bbws-old-{slug}-{secrets.token_hex(4)}"
        target.rename(old)
        fresh.rename(target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        fresh.rename(target)
    found = installed(sites, place, key, kind, slug)
    if found is None:
        raise _bad(f"WordPress does not recognise {slug} as a {kind}")
    return found


def remove(sites: Sites, place: Place, key: str, kind: str, slug: str) -> None:
    """Deactivate and delete; a folder already gone is done (a retried job finishes)."""
    parent = _site_content(sites, place, key) / folder_of(kind)
    target = parent / check_slug(slug)
    if not target.exists():
        return
    if kind == "theme":
        theme = sites.admin(place, key, "get-options", {"names": ["stylesheet", "template"]})["options"]
        if slug in (theme.get("stylesheet"), theme.get("template")):
            raise DriverError(
                f"{slug} is the site's active theme (or its parent); switch to another theme first", code="THEME_ACTIVE"
            )
    else:
        found = installed(sites, place, key, kind, slug)
        if found and found["active"]:
            sites.admin(place, key, "deactivate-plugin", {"plugin": slug})
    old = parent / f".bbws-old-{slug}-{secrets.token_hex(4)}"
    target.rename(old)
    if old.is_symlink():  # never follow a link out of the site
        old.unlink()
    else:
        shutil.rmtree(old, ignore_errors=True)
