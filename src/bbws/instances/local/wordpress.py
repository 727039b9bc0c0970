"""WordPress files: versioned core templates, hard-linked site copies, wp-config, and the PHP scripts run on a site."""

from __future__ import annotations

import errno
import html.parser
import json
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bbws.core.driver import DriverError
from bbws.core.files import CHILD_UMASK, make_private, private_dir, write_private
from bbws.instances.local import config, naming
from bbws.instances.local.mariadb import unavailable
from bbws.instances.local.versions import wordpress_version_of

PHP_DIR = Path(__file__).resolve().parent / "php"
KEEP = ("wp-content", "wp-config.php")  # a site's own files; everything else is core, linked from a template
MU_PLUGIN = Path("wp-content") / "mu-plugins" / "bbws-runtime.php"
# What WordPress and PHP print when the database cannot be reached (wp_die's page, mysqli's warnings).
DB_GONE_MARKERS = ("Error establishing a database connection", "MySQL server has gone away",
                   "(HY000/2002)", "(HY000/2006)", "Lost connection to MySQL server", "Lost connection to server")


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


class _Text(html.parser.HTMLParser):
    """The readable text of an HTML page (a wp_die page): no tags, no stylesheet, no script."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self._skip += tag in ("style", "script", "title")

    def handle_endtag(self, tag: str) -> None:
        self._skip -= tag in ("style", "script", "title") and self._skip > 0

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def readable(output: str) -> str:
    """What a script printed, as one line of text (HTML reduced to its visible words)."""
    if "<" in output and ">" in output:
        parser = _Text()
        parser.feed(output)
        parser.close()
        output = " ".join(parser.parts)
    return " ".join(output.split())


def run_script(
    php: str, script: str, payload: dict[str, Any], *, timeout: float = 300,
    db_lost: Callable[[], bool] | None = None,
) -> Any:
    """Run `php/<script>` with `payload` as JSON on stdin; its JSON answer, or DriverError with its reason.
    `db_lost` is asked while the script runs: when the database goes away, the script is stopped at once
    (WordPress would otherwise retry every query for seconds) and the step fails with RUNTIME_DB_UNAVAILABLE."""
    argv = [php, "-d", "display_errors=stderr", "-d", "log_errors=0", "-d", "memory_limit=512M",
            str(PHP_DIR / script)]
    env = {"PATH": os.environ.get("PATH", os.defpath), "LANG": "C.UTF-8"}
    deadline = time.monotonic() + timeout
    with subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                          cwd=payload.get("dir"), umask=CHILD_UMASK) as child:
        given: bytes | None = json.dumps(payload).encode()
        while True:
            try:
                out, err = child.communicate(given, timeout=min(0.25, max(deadline - time.monotonic(), 0.01)))
                break
            except subprocess.TimeoutExpired:
                given = None  # communicate keeps feeding what is left of the input on the next call
                lost = db_lost is not None and db_lost()
                if lost or time.monotonic() >= deadline:
                    child.kill()
                    child.communicate()
                    if lost:
                        raise unavailable(f"MariaDB went away while {script} ran; the step is retried") from None
                    raise DriverError(f"{script} did not finish within {timeout:.0f} s", retryable=True) from None
    try:
        answer = json.loads(out) if out else None
    except ValueError:
        answer = None
    if child.returncode == 0 and answer is not None:
        return answer
    if isinstance(answer, dict) and "error" in answer:
        raise reported_failure(script, answer, db_gone=db_lost is not None and db_lost())
    printed = err.decode(errors="replace").strip() or out.decode(errors="replace").strip()
    raise script_failure(script, child.returncode, printed, db_gone=db_lost is not None and db_lost())


def reported_failure(script: str, answer: dict[str, Any], *, db_gone: bool = False) -> DriverError:
    """An error the script reported itself (`{"error", "code"}`). When the database went away while it ran, the
    error is whatever WordPress's next query ran into: RUNTIME_DB_UNAVAILABLE, and the step is retried."""
    if db_gone:
        return unavailable(f"{script} failed while MariaDB went away ({answer['error']}); the step is retried")
    return DriverError(str(answer["error"]), code=str(answer.get("code", "ADMIN_FAILED")))


def script_failure(script: str, returncode: int, printed: str, *, db_gone: bool = False) -> DriverError:
    """The error of a script that gave no answer: RUNTIME_DB_UNAVAILABLE (retryable) when it could not reach the
    database, else what it printed, as text."""
    said = readable(printed)
    if db_gone or any(marker in said for marker in DB_GONE_MARKERS):
        return unavailable(f"{script} could not reach the database: {said[-300:] or 'no output'}")
    return DriverError(f"{script} failed (exit {returncode}): {said[-600:] or 'no output'}")
