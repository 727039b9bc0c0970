"""Debian's packaged WordPress plugins and themes as test fixtures: downloaded and unpacked, never installed.

`apt-get download` fetches the .deb into a scratch folder and `dpkg -x` unpacks it; the tree is then renamed into
`<repo>/.cache/debian/<package>/` in one step, so parallel test workers never see half an unpack (a worker that
loses the race throws its copy away). Later calls return the cached tree at once.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

CACHE = Path(__file__).resolve().parents[2] / ".cache" / "debian"
WP_CONTENT = Path("usr/share/wordpress/wp-content")


def unpack_debian_package(name: str, *, cache: Path = CACHE) -> Path:
    """The root of the unpacked package `name` (its files at their Debian paths below it)."""
    root = cache / name
    if root.is_dir():
        return root
    cache.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=cache))
    try:
        deb = _download(name, scratch)
        unpacked = scratch / "root"
        _run(["dpkg", "-x", str(deb), str(unpacked)], f"dpkg -x {deb.name}")
        try:
            unpacked.rename(root)
        except OSError:
            if not root.is_dir():  # another worker did not win the race: the rename failed for a real reason
                raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return root


def debian_plugin_folder(package: str, slug: str | None = None) -> Path:
    """The plugin folder a Debian package ships (`wp-content/plugins/<slug>`), ready to copy into a site."""
    return _content_folder(package, "plugins", slug)


def debian_theme_folder(package: str, slug: str | None = None) -> Path:
    """The theme folder a Debian package ships (`wp-content/themes/<slug>`), ready to copy into a site."""
    return _content_folder(package, "themes", slug)


def _content_folder(package: str, kind: str, slug: str | None) -> Path:
    parent = unpack_debian_package(package) / WP_CONTENT / kind
    folders = sorted(p for p in parent.iterdir() if p.is_dir()) if parent.is_dir() else []
    if slug is not None:
        folders = [p for p in folders if p.name == slug]
    if len(folders) != 1:
        names = ", ".join(p.name for p in folders) or "none"
        raise RuntimeError(
            f"{package} ships {names} under {WP_CONTENT / kind}; expected one{f' named {slug}' if slug else ''}"
        )
    return folders[0]


def _download(name: str, into: Path) -> Path:
    _run(["apt-get", "download", name], f"apt-get download {name}", cwd=into)
    debs = sorted(into.glob(f"{name}_*.deb"))
    if len(debs) != 1:
        raise RuntimeError(f"apt-get download {name} left {len(debs)} .deb files in {into}, expected one")
    return debs[0]


def _run(argv: list[str], what: str, *, cwd: Path | None = None) -> None:
    try:
        done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=300, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RuntimeError(f"{what} could not run: {exc} (the Debian fixtures need apt-get and dpkg)") from exc
    if done.returncode != 0:
        said = (done.stderr or done.stdout).strip()[-1000:]
        raise RuntimeError(
            f"{what} failed (exit {done.returncode}): {said}\n"
            "The Debian fixtures need network access and apt package lists (run `apt-get update`)."
        )
