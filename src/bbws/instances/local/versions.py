"""What this machine can run, found at run time: PHP binaries, MariaDB, WordPress sources and built core templates."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
from pathlib import Path

from bbws.core.driver import DriverError, Versions
from bbws.instances.local import naming

_PHP_NAME = re.compile(r"^php(\d{1,2}\.\d{1,2})$")
_WP_VERSION = re.compile(r"""^\$wp_version\s*=\s*['"]([0-9.]+)['"]""", re.MULTILINE)
PHP_PACKAGES = ["php-cli", "php-mysql", "php-xml", "php-mbstring", "php-curl"]
# Binaries the driver runs -> the package that brings them (mariadb-server pulls in the client tools).
TOOLS = dict.fromkeys(("mariadbd", "mariadb-install-db", "mariadb-admin", "mariadb-dump", "mariadb"), "mariadb-server")


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".") if part.isdigit())


def wordpress_version_of(folder: Path) -> str | None:
    """The `$wp_version` a WordPress tree declares, or None when it is not one."""
    try:
        text = (folder / "wp-includes" / "version.php").read_text(errors="replace")
    except OSError:
        return None
    match = _WP_VERSION.search(text)
    return match[1] if match else None


class Toolbox:
    """Finds binaries on `search_path` (PATH by default) and remembers what they said about themselves."""

    def __init__(self, *, search_path: str | None, wordpress_source: Path, core_dir: Path) -> None:
        if search_path is None:
            # mariadbd lives in sbin, which the PATH of an ordinary account often leaves out.
            search_path = os.pathsep.join([os.environ.get("PATH", os.defpath), "/usr/local/sbin", "/usr/sbin", "/sbin"])
        self.search_path = search_path
        self.wordpress_source = wordpress_source
        self.core_dir = core_dir
        self._lock = threading.Lock()
        self._php: dict[str, tuple[str, str]] | None = None  # "8.2" -> (binary, full version)
        self._php_modules: dict[str, set[str]] = {}
        self._mariadb: str | None = None

    def which(self, name: str) -> str | None:
        return shutil.which(name, path=self.search_path)

    def require(self, name: str) -> str:
        found = self.which(name)
        if found is None:
            raise DriverError(self.missing_text([TOOLS.get(name, name)]), code="RUNTIME_MISSING")
        return found

    @staticmethod
    def missing_text(packages: list[str]) -> str:
        return "the local runtime needs these Debian packages: " + " ".join(packages) + " (apt-get install them)"

    # -- PHP -------------------------------------------------------------------------------------------------
    def php_binaries(self) -> dict[str, tuple[str, str]]:
        """minor version -> (binary, full version), from `phpX.Y` (and plain `php`) on the search path."""
        with self._lock:
            if self._php is None:
                self._php = self._find_php()
            return dict(self._php)

    def _find_php(self) -> dict[str, tuple[str, str]]:
        candidates: list[str] = []
        for folder in self.search_path.split(os.pathsep):
            try:
                names = sorted(os.listdir(folder or "."))
            except OSError:
                continue
            candidates += [os.path.join(folder, n) for n in names if _PHP_NAME.fullmatch(n)]
        plain = self.which("php")
        if plain:
            candidates.append(plain)
        found: dict[str, tuple[str, str]] = {}
        for binary in candidates:
            if not os.access(binary, os.X_OK):
                continue
            full = _run_text([binary, "-n", "-r", "echo PHP_VERSION;"])
            if full and naming.PHP_VERSION.fullmatch(full):
                found.setdefault(naming.php_minor(full), (binary, full))
        return found

    def php(self, version: str) -> str:
        """The binary for `8.2` (or `8.2.36`); DriverError naming what is installed when absent."""
        binaries = self.php_binaries()
        if not binaries:
            raise DriverError(self.missing_text(PHP_PACKAGES), code="RUNTIME_MISSING")
        minor = naming.php_minor(version)
        if minor not in binaries:
            raise DriverError(f"PHP {version} is not installed here; available: {', '.join(sorted(binaries))}",
                              code="UNSUPPORTED_VERSION")
        return binaries[minor][0]

    def php_modules(self, binary: str) -> set[str]:
        with self._lock:
            if binary not in self._php_modules:
                listed = _run_text([binary, "-m"]) or ""
                self._php_modules[binary] = {line.strip().lower() for line in listed.splitlines()}
            return self._php_modules[binary]

    # -- MariaDB and WordPress -------------------------------------------------------------------------------
    def mariadb_version(self) -> str | None:
        with self._lock:
            if self._mariadb is None:
                binary = self.which("mariadbd")
                text = _run_text([binary, "--version"]) if binary else None
                match = re.search(r"Ver\s+(\S+)", text or "")
                self._mariadb = match[1] if match else ""
            return self._mariadb or None

    def wordpress_versions(self) -> list[str]:
        found = set()
        source = wordpress_version_of(self.wordpress_source)
        if source:
            found.add(source)
        if self.core_dir.is_dir():
            for folder in self.core_dir.iterdir():
                version = wordpress_version_of(folder)
                if version and version == folder.name:
                    found.add(version)
        return sorted(found, key=version_key)

    def versions(self) -> Versions:
        php = sorted(self.php_binaries(), key=version_key)
        return Versions(wordpress=tuple(self.wordpress_versions()), php=tuple(php), database=self.mariadb_version())

    def missing(self) -> list[str]:
        """Debian packages to install before the driver can work."""
        packages: list[str] = []
        binaries = self.php_binaries()
        if not binaries:
            packages += PHP_PACKAGES
        else:
            modules = self.php_modules(next(iter(binaries.values()))[0])
            for module, package in (("mysqli", "php-mysql"), ("xml", "php-xml"), ("mbstring", "php-mbstring"),
                                    ("curl", "php-curl")):
                if module not in modules:
                    packages.append(package)
        for tool, package in TOOLS.items():
            if self.which(tool) is None and package not in packages:
                packages.append(package)
        if wordpress_version_of(self.wordpress_source) is None and not self.wordpress_versions():
            packages.append("wordpress")
        return packages


def _run_text(argv: list[str]) -> str | None:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None
