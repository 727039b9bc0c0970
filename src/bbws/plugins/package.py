"""Inspection of an uploaded plugin or theme zip before anything is stored: reads the file, writes nothing.

A package is accepted only when it is a readable zip, small enough packed and unpacked, every member stays
inside one top-level folder (the slug) as a plain file or folder, and that folder holds a plugin header
(a top-level `*.php` with `Plugin Name:`) or a theme header (`style.css` with `Theme Name:`), read the way
WordPress's `get_file_data` reads them.
"""

from __future__ import annotations

import re
import stat
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bbws.core.errors import ApiError
from bbws.plugins.models import SLUG, VERSION, VERSION_MAX

HEADER_BYTES = 8192  # WordPress reads the first 8 KiB of a file for its headers
MAX_FILES = 20_000  # the largest popular plugins hold a few thousand files
UNPACKED_FACTOR = 10  # source code packs about 3-5 times; more than 10 times the size limit is refused
BOMB_RATIO = 100  # deflate can pack zeros 1000 times; real files of a plugin never pack 100 times
BOMB_MIN_BYTES = 1 << 20  # small members may pack very well (empty index.php files); only big ones count
MAX_NAME = 200
MAX_PART_BYTES = 255  # NAME_MAX of ext4, xfs, btrfs and most others
MAX_PATH_BYTES = 1024  # well under PATH_MAX (4096) once the site's wp-content path is in front
REQUIREMENT = re.compile(r"^\d+(?:\.\d+){0,3}$")
_ALLOWED_TYPES = {0, stat.S_IFREG, stat.S_IFDIR}  # no symlinks, devices, fifos or sockets
_DRIVE = re.compile(r"^[A-Za-z]:")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

PLUGIN_HEADERS = {"name": "Plugin Name", "version": "Version", "wp": "Requires at least", "php": "Requires PHP"}
THEME_HEADERS = {"name": "Theme Name", "version": "Version", "wp": "Requires at least", "php": "Requires PHP"}


class PackageRejected(ApiError):
    """The upload is not an acceptable package; `field` names what is wrong (`body`, a member, a header)."""

    status, code, title = 422, "PLUGIN_PACKAGE_INVALID", "Not an acceptable plugin or theme package"

    def __init__(self, reason: str, field: str = "body", *, status: int | None = None, code: str | None = None) -> None:
        super().__init__(reason, status=status, code=code, errors=[{"field": field, "message": reason}])
        self.reason, self.field = reason, field


def too_large(reason: str, field: str = "body") -> PackageRejected:
    return PackageRejected(reason, field, status=413, code="PLUGIN_PACKAGE_TOO_LARGE")


@dataclass(frozen=True)
class PackageInfo:
    kind: str
    slug: str
    name: str
    version: str
    min_wordpress_version: str | None
    requires_php: str | None
    files: int
    unpacked_bytes: int

    def fields(self) -> dict[str, Any]:
        """The catalog record's view of the package."""
        return {
            "kind": self.kind,
            "slug": self.slug,
            "name": self.name,
            "pluginVersion": self.version,
            "minWordPressVersion": self.min_wordpress_version,
            "requiresPhp": self.requires_php,
            "files": self.files,
            "unpackedBytes": self.unpacked_bytes,
        }


def inspect_package(path: Path, *, max_bytes: int, max_unpacked: int | None = None) -> PackageInfo:
    """What the zip at `path` holds, or PackageRejected saying why it is not acceptable."""
    size = path.stat().st_size
    if size > max_bytes:
        raise too_large(f"The package is {size} bytes; the limit is {max_bytes} bytes.")
    if not zipfile.is_zipfile(path):
        raise PackageRejected("The body is not a zip archive.")
    try:
        with zipfile.ZipFile(path) as archive:
            return _inspect(archive, max_unpacked or max_bytes * UNPACKED_FACTOR)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, ValueError) as exc:
        raise PackageRejected(f"The zip archive is corrupt or unreadable: {exc}.") from exc


def _inspect(archive: zipfile.ZipFile, max_unpacked: int) -> PackageInfo:
    infos = archive.infolist()
    if not infos:
        raise PackageRejected("The zip archive is empty.")
    if len(infos) > MAX_FILES:
        raise too_large(f"The package holds {len(infos)} entries; the limit is {MAX_FILES}.")
    seen: set[str] = set()
    for info in infos:
        _check_member(info)
        if info.filename.rstrip("/") in seen:
            raise PackageRejected(f"{info.filename!r} appears twice in the archive.", info.filename)
        seen.add(info.filename.rstrip("/"))
    _check_layout(infos)
    slug = _top_folder(infos)
    _check_sizes(infos, max_unpacked)
    for info in infos:
        _read_through(archive, info)  # checks every CRC: a corrupt member fails here, not on a site
    headers = _headers(archive, slug)
    files = sum(1 for i in infos if not i.is_dir())
    return PackageInfo(**headers, slug=slug, files=files, unpacked_bytes=sum(i.file_size for i in infos))


def _check_member(info: zipfile.ZipInfo) -> None:
    name = info.filename
    if _CONTROL.search(name):
        raise PackageRejected(f"{name!r} is not an acceptable file name.", name)
    size = len(name.encode("utf-8", "surrogateescape"))
    if size > MAX_PATH_BYTES:
        raise PackageRejected(f"{name!r} is a path of {size} bytes; the limit is {MAX_PATH_BYTES}.", name)
    if any(len(part.encode("utf-8", "surrogateescape")) > MAX_PART_BYTES for part in name.split("/")):
        raise PackageRejected(f"{name!r} has a name over {MAX_PART_BYTES} bytes, more than file systems hold.", name)
    if "\\" in name:
        raise PackageRejected(f"{name!r} holds a backslash; zip paths use '/' only.", name)
    if name.startswith("/") or _DRIVE.match(name):
        raise PackageRejected(f"{name!r} is an absolute path; every file must stay inside the package folder.", name)
    if any(part in ("..", ".", "") for part in name.rstrip("/").split("/")):
        raise PackageRejected(f"{name!r} has a '..', '.' or empty path part: it could escape its folder.", name)
    mode = info.external_attr >> 16
    if stat.S_IFMT(mode) not in _ALLOWED_TYPES:
        what = "a symbolic link" if stat.S_ISLNK(mode) else "a device, fifo or socket"
        raise PackageRejected(f"{name!r} is {what}; only plain files and folders are accepted.", name)
    if info.flag_bits & 0x1:
        raise PackageRejected(f"{name!r} is encrypted.", name)


def _check_layout(infos: list[zipfile.ZipInfo]) -> None:
    """Every member can be unpacked where it says, on any file system: no file where another member needs a
    folder, and no two files (or a file and a folder) whose names are one once letter case and Unicode form are
    folded, as case-insensitive file systems fold them. Folders that fold together merge harmlessly."""
    folders: dict[str, str] = {}  # each folder some member needs, with the first member that needs it
    for info in infos:
        parts = info.filename.rstrip("/").split("/")
        for n in range(1, len(parts) + info.is_dir()):
            folders.setdefault("/".join(parts[:n]), info.filename)
    files = [i.filename for i in infos if not i.is_dir()]
    for name in files:
        if name in folders:
            raise PackageRejected(f"{name!r} is a file, but {folders[name]!r} needs it to be a folder.", name)
    folded = {_folded(folder): folder for folder in folders}
    for name in files:
        other = folded.setdefault(_folded(name), name)
        if other != name:
            raise PackageRejected(
                f"{name!r} and {other!r} differ only in letter case (or Unicode form): one would overwrite or "
                "hide the other where names are folded.",
                name,
            )


def _folded(name: str) -> str:
    return unicodedata.normalize("NFC", name).lower()


def _top_folder(infos: list[zipfile.ZipInfo]) -> str:
    tops = sorted({i.filename.split("/", 1)[0] for i in infos})
    if len(tops) != 1:
        shown = ", ".join(tops[:5]) + (", ..." if len(tops) > 5 else "")
        raise PackageRejected(f"The package must hold exactly one top-level folder (the slug); it holds: {shown}.")
    loose = [i.filename for i in infos if "/" not in i.filename]
    if loose:
        raise PackageRejected(f"{loose[0]!r} is a file at the top level; everything goes in the slug folder.", loose[0])
    slug = tops[0]
    if not SLUG.match(slug):
        raise PackageRejected(
            f"The top-level folder {slug!r} is not a slug: 1-64 lower-case letters, digits, '-' or '_'.", "slug"
        )
    return slug


def _check_sizes(infos: list[zipfile.ZipInfo], max_unpacked: int) -> None:
    """Refuse zip bombs from the directory alone, before decompressing anything (reads stop at the declared
    size, and a member that unpacks to more than it declares fails its CRC check)."""
    total = sum(i.file_size for i in infos)
    if total > max_unpacked:
        raise too_large(f"The package unpacks to {total} bytes; the limit is {max_unpacked} bytes.")
    for info in infos:
        if info.file_size > BOMB_MIN_BYTES and info.file_size > BOMB_RATIO * max(info.compress_size, 1):
            raise too_large(
                f"{info.filename!r} unpacks to {info.file_size} bytes from {info.compress_size}: "
                f"more than {BOMB_RATIO} times, refused as a zip bomb.",
                info.filename,
            )


def _read_through(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    if info.is_dir():
        return
    with archive.open(info) as member:
        while member.read(1 << 20):
            pass


def _headers(archive: zipfile.ZipFile, slug: str) -> dict[str, Any]:
    plugin = _plugin_headers(archive, slug)
    theme = _file_headers(archive, f"{slug}/style.css", THEME_HEADERS)
    if plugin and theme:
        raise PackageRejected(f"{slug}/ has both a plugin header and a theme header (style.css); upload one kind.")
    if not plugin and not theme:
        raise PackageRejected(
            f"No plugin header (a {slug}/*.php file with 'Plugin Name:') and no theme header "
            f"({slug}/style.css with 'Theme Name:') was found.",
            "header",
        )
    kind, found = ("plugin", plugin) if plugin else ("theme", theme)
    assert found is not None
    return {"kind": kind, **_validated(found, PLUGIN_HEADERS if kind == "plugin" else THEME_HEADERS)}


def _plugin_headers(archive: zipfile.ZipFile, slug: str) -> dict[str, str] | None:
    """Like WordPress: the first top-level PHP file of the folder with a `Plugin Name` (`{slug}.php` first)."""
    names = sorted(
        (n for n in archive.namelist() if n.count("/") == 1 and n.lower().endswith(".php")),
        key=lambda n: (n != f"{slug}/{slug}.php", n),
    )
    for name in names:
        found = _file_headers(archive, name, PLUGIN_HEADERS)
        if found:
            return found
    return None


def _file_headers(archive: zipfile.ZipFile, name: str, headers: dict[str, str]) -> dict[str, str] | None:
    """The headers of one member, or None when it is missing or has no name header."""
    try:
        with archive.open(name) as member:
            text = member.read(HEADER_BYTES).decode("utf-8", errors="replace")
    except KeyError:
        return None
    values = {key: get_file_data(text, header) for key, header in headers.items()}
    return values if values["name"] else None


def get_file_data(text: str, header: str) -> str:
    """One header value as WordPress's `get_file_data` finds it (case-insensitive, after comment markers)."""
    text = text.replace("\r", "\n")
    pattern = r"^(?:[ \t]*<\?php)?[ \t/*#@]*" + re.escape(header) + r":(.*)$"
    match = re.search(pattern, text, flags=re.IGNORECASE | re.MULTILINE)
    if not match:
        return ""
    return re.sub(r"\s*(?:\*/|\?>).*", "", match.group(1)).strip()


def _validated(found: dict[str, str], headers: dict[str, str]) -> dict[str, Any]:
    name, version = found["name"], found["version"]
    if _CONTROL.search(name) or len(name) > MAX_NAME:
        raise PackageRejected(f"{headers['name']} must be at most {MAX_NAME} printable characters.", headers["name"])
    if not version:
        raise PackageRejected(f"The {headers['name']} header has no 'Version:' line.", "Version")
    if len(version) > VERSION_MAX or not VERSION.match(version):
        raise PackageRejected(
            f"Version {version!r} is not a version: letters and digits separated by '.', '-', '_' or '+', "
            f"at most {VERSION_MAX} characters.",
            "Version",
        )
    for key in ("wp", "php"):
        if found[key] and not REQUIREMENT.match(found[key]):
            raise PackageRejected(f"{headers[key]}: {found[key]!r} is not a version like 6.1 or 8.2.", headers[key])
    return {
        "name": name,
        "version": version,
        "min_wordpress_version": found["wp"] or None,
        "requires_php": found["php"] or None,
    }
