"""Names the local runtime derives from outside input (folders, databases, ports, php -d flags), validated first."""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Collection, Mapping
from typing import Any

from bbws.core.driver import DriverError

# Site keys name a database and a user (`wp_<key>`): MariaDB allows 64 characters for a database name.
SITE_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
# A site's path is one DNS label: it is also the folder under the instance's document root.
SITE_PATH = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
TENANT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
ENVIRONMENTS = ("dev", "sit", "prod")
SIZE = re.compile(r"^[1-9]\d{0,3}M$")
PHP_VERSION = re.compile(r"^(\d{1,2})\.(\d{1,2})(?:\.\d{1,3})?$")
WORDPRESS_VERSION = re.compile(r"^\d{1,2}\.\d{1,2}(?:\.\d{1,3})?$")
DATABASE_PREFIX = "wp_"


def invalid(what: str, value: object) -> DriverError:
    return DriverError(f"invalid {what}: {value!r}", code="INVALID_NAME")


def site_key(key: str) -> str:
    if not isinstance(key, str) or not SITE_KEY.fullmatch(key):
        raise invalid("site key (lowercase letters, digits, '_' or '-', at most 40)", key)
    return key


def site_path(path: str) -> str:
    if not isinstance(path, str) or not SITE_PATH.fullmatch(path):
        raise invalid("site path (one lowercase DNS label)", path)
    return path


def instance_dirname(tenant_id: str, environment: str) -> str:
    """`{tenantId}-{env}`: the instance's folder under the driver's root."""
    if not isinstance(tenant_id, str) or not TENANT_ID.fullmatch(tenant_id):
        raise invalid("tenant id", tenant_id)
    if environment not in ENVIRONMENTS:
        raise invalid("environment", environment)
    return f"{tenant_id}-{environment}"


def wordpress_version(version: str) -> str:
    if not isinstance(version, str) or not WORDPRESS_VERSION.fullmatch(version):
        raise invalid("WordPress version", version)
    return version


def php_minor(version: str) -> str:
    """'8.2' from '8.2' or '8.2.36': the part that names a `phpX.Y` binary."""
    match = PHP_VERSION.fullmatch(version) if isinstance(version, str) else None
    if not match:
        raise invalid("PHP version", version)
    return f"{int(match[1])}.{int(match[2])}"


def database_name(key: str) -> str:
    """The site's database, which is also the name of its database user."""
    return DATABASE_PREFIX + site_key(key)


GENERATION_MARK = "$"  # never in a site key, so `wp_a$2` cannot be the database of another site


def generation_database(key: str, generation: int) -> str:
    """The database a replacement of the site is built in (restore, promotion, template): `wp_<key>$<n>`."""
    if not isinstance(generation, int) or generation < 1:
        raise invalid("generation", generation)
    return f"{database_name(key)}{GENERATION_MARK}{generation}"


def quote_identifier(name: str) -> str:
    """A backquoted identifier; callers pass validated names, this only keeps the quoting in one place."""
    if "`" in name or "\x00" in name:
        raise invalid("identifier", name)
    return f"`{name}`"


def grant_pattern(database: str) -> str:
    """The database name as a GRANT target: `_` and `%` are wildcards there, so `wp_a_b` would also match
    `wp_a-b` (another site's database) unless they are escaped."""
    return quote_identifier(database.replace("\\", "\\\\").replace("_", "\\_").replace("%", "\\%"))


def grant_patterns(user: str) -> list[str]:
    """Where a site's database user may work: its first database (`wp_<key>`) and every replacement built for it
    (`wp_<key>$<n>`; `%` may follow the mark only, and no other site's name has the mark)."""
    exact = grant_pattern(user)
    return [exact, exact[:-1] + GENERATION_MARK + "%`"]


def php_settings(settings: Mapping[str, Any]) -> list[str]:
    """`-d` flags for the instance's settings (phpMemoryLimit, uploadMaxFilesize, debug)."""
    flags: list[str] = []
    memory = settings.get("phpMemoryLimit")
    if memory is not None:
        if not isinstance(memory, str) or not SIZE.fullmatch(memory):
            raise invalid("phpMemoryLimit", memory)
        flags += ["-d", f"memory_limit={memory}"]
    upload = settings.get("uploadMaxFilesize")
    if upload is not None:
        if not isinstance(upload, str) or not SIZE.fullmatch(upload):
            raise invalid("uploadMaxFilesize", upload)
        flags += ["-d", f"upload_max_filesize={upload}", "-d", f"post_max_size={upload}"]
    debug = bool(settings.get("debug"))
    flags += ["-d", f"display_errors={'1' if debug else '0'}", "-d", "log_errors=1"]
    return flags


def choose_port(
    port_range: range,
    *,
    taken: Collection[int],
    is_free: Callable[[int], bool],
    rng: random.Random | None = None,
) -> int | None:
    """A port of `port_range` that no other instance recorded and that binds now, or None. The scan starts at a
    random place so two drivers sharing a range rarely race for the same port."""
    if not port_range:
        return None
    start = (rng or random.Random()).randrange(len(port_range))
    for step in range(len(port_range)):
        port = port_range[(start + step) % len(port_range)]
        if port not in taken and is_free(port):
            return port
    return None


def site_url(port: int, path: str) -> str:
    return f"http://127.0.0.1:{port}/{site_path(path)}"
