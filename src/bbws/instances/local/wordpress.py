"""WordPress files: versioned core templates, hard-linked site copies, wp-config, and the PHP scripts run on a site."""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any

from bbws.core.files import CHILD_UMASK, make_private, private_dir, write_private
from bbws.instances.driver import DriverError
from bbws.instances.local import config, naming
from bbws.instances.local.versions import wordpress_version_of

PHP_DIR = Path(__file__).resolve().parent / "php"
KEEP = ("wp-content", "wp-config.php")  # a site's own files; everything else is core, linked from a template
MU_PLUGIN = Path("wp-content") / "mu-plugins" / "bbws-runtime.php"


def _template_ignore(folder: str, names: list[str]) -> set[str]:
    """What a core template leaves out: the source's own config (Debian's is a per-host dispatcher), its
    .htaccess, and the language packs."""
    ignored = set()
    if os.path.exists(os.path.join(folder, "wp-settings.php")):
        ignored |= {"wp-config.php", ".htaccess"} & set(names)
    if os.path.basename(folder) == "wp-content" and "languages" in names:
        ignored.add("languages")
    return ignored


class CoreTemplates:
    """`root/core/<version>/`: a real copy of WordPress (symlinks resolved) that sites hard-link."""

    def __init__(self, *, core_dir: Path, source: Path) -> None:
        self.dir = core_dir
        self.source = source
        self._lock = threading.Lock()

    def ensure(self, version: str) -> Path:
        naming.wordpress_version(version)
        target = self.dir / version
        with self._lock:
            if wordpress_version_of(target) == version:
                return target
            found = wordpress_version_of(self.source)
            if found != version:
                raise DriverError(
                    f"WordPress {version} is not installed here (the source has {found or 'none'})",
                    code="UNSUPPORTED_VERSION",
                )
            staging = self.dir / f".{version}.building"
            shutil.rmtree(staging, ignore_errors=True)
            private_dir(self.dir)
            # Debian's wordpress symlinks into /usr/share/javascript and /etc: PHP resolves __DIR__ through
            # symlinks, so every file must be a real one here.
            shutil.copytree(self.source, staging, symlinks=False, ignore=_template_ignore,
                            ignore_dangling_symlinks=True)
            make_private(staging)  # the sites' core files are hard links to these
            shutil.rmtree(target, ignore_errors=True)
            staging.rename(target)
            return target


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError as exc:
        if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK):
            raise
        shutil.copy2(source, target)


def link_core(core: Path, site: Path) -> None:
    """Hard-link every core file into `site` (like `cp -al`), leaving its wp-content and wp-config alone."""
    private_dir(site)
    for folder, dirs, files in os.walk(core):
        relative = os.path.relpath(folder, core)
        if relative == ".":
            dirs[:] = [d for d in dirs if d not in KEEP]
            files = [f for f in files if f not in KEEP]
        out = site if relative == "." else site / relative
        out.mkdir(mode=0o700, exist_ok=True)
        for name in files:
            _link_or_copy(os.path.join(folder, name), str(out / name))


def new_site_files(core: Path, site: Path, *, wp_content: Path | None = None) -> None:
    """A fresh site folder: linked core plus a real copy of wp-content (the template's, or `wp_content`)."""
    if site.exists():
        shutil.rmtree(site)
    link_core(core, site)
    if wp_content is None:
        shutil.copytree(core / "wp-content", site / "wp-content", symlinks=False)
    else:
        shutil.move(str(wp_content), str(site / "wp-content"))
    make_private(site / "wp-content")  # the tenant's content, whoever unpacked it
    install_mu_plugin(site)


def relink_core(core: Path, site: Path) -> None:
    """Swap the site's core for another version's, keeping wp-content, wp-config.php and the runtime's flags."""
    for entry in site.iterdir():
        if entry.name in KEEP or entry.name.startswith(".bbws-"):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    link_core(core, site)
    install_mu_plugin(site)


def install_mu_plugin(site: Path) -> None:
    target = site / MU_PLUGIN
    private_dir(target.parent)
    shutil.copyfile(PHP_DIR / "mu-plugin.php", target)
    make_private(target)


def write_config(site: Path, settings: config.SiteConfig) -> None:
    """wp-config.php, readable by its owner only (it holds the database password and the salts)."""
    write_private(site / "wp-config.php", config.render(settings))


def read_config_value(site: Path, name: str) -> str | None:
    """A `define('NAME', '...')` string value from the site's wp-config.php (as written by `config.render`)."""
    try:
        text = (site / "wp-config.php").read_text()
    except OSError:
        return None
    marker = f"define({config.php_string(name)}, '"
    start = text.find(marker)
    if start < 0:
        return None
    start += len(marker)
    end = text.find("');", start)
    return text[start:end].replace("\\'", "'").replace("\\\\", "\\") if end > 0 else None


def run_script(php: str, script: str, payload: dict[str, Any], *, timeout: float = 300) -> Any:
    """Run `php/<script>` with `payload` as JSON on stdin; its JSON answer, or DriverError with its reason."""
    argv = [php, "-d", "display_errors=stderr", "-d", "log_errors=0", "-d", "memory_limit=512M",
            str(PHP_DIR / script)]
    env = {"PATH": os.environ.get("PATH", os.defpath), "LANG": "C.UTF-8"}
    try:
        done = subprocess.run(argv, input=json.dumps(payload).encode(), capture_output=True, timeout=timeout,
                              env=env, cwd=payload.get("dir"), check=False, umask=CHILD_UMASK)
    except subprocess.TimeoutExpired as exc:
        raise DriverError(f"{script} did not finish within {timeout:.0f} s", retryable=True) from exc
    try:
        answer = json.loads(done.stdout) if done.stdout else None
    except ValueError:
        answer = None
    if done.returncode == 0 and answer is not None:
        return answer
    if isinstance(answer, dict) and "error" in answer:
        raise DriverError(str(answer["error"]), code=str(answer.get("code", "ADMIN_FAILED")))
    said = (done.stderr.decode(errors="replace").strip() or done.stdout.decode(errors="replace").strip())[-600:]
    raise DriverError(f"{script} failed (exit {done.returncode}): {said or 'no output'}")
