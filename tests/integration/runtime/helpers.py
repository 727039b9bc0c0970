"""Helpers of the local runtime tests: specs with random ids, a plain HTTP GET, SQL as root or as a site."""

from __future__ import annotations

import base64
import http.client
import json
import os
import random
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pymysql

from bbws.core.driver import InstanceSpec, SiteInfo, SiteSpec
from bbws.core.ids import new_id
from bbws.instances.local import LocalDriver, wordpress


def port_block(size: int = 100) -> range:
    """A block of loopback ports below the ephemeral range, in a stretch of its own for each xdist worker."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    index = int(worker[2:]) if worker[2:].isdigit() else 0
    base = 20_000 + (index % 4) * 3_000 + random.randrange(0, 3_000 - size, size)
    return range(base, base + size)


def make_spec(**changes: Any) -> InstanceSpec:
    fields: dict[str, Any] = {"tenant_id": new_id("ten"), "environment": "dev", "instance_id": new_id("ins"),
                              "desired_count": 2, "wordpress_version": "", "php_version": ""}
    fields.update(changes)
    return InstanceSpec(**fields)


def make_site(**changes: Any) -> SiteSpec:
    key = new_id("site")
    fields: dict[str, Any] = {"key": key, "path": "s" + key[-8:], "title": f"Site {key[-6:]}",
                              "admin_email": "owner@example.com"}
    fields.update(changes)
    return SiteSpec(**fields)


def get(url: str, *, auth: tuple[str, str] | None = None) -> tuple[int | None, bytes]:
    """GET without following redirects; (None, b"") when nothing answers."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=10)
    headers = {"Connection": "close"}
    if auth:
        headers["Authorization"] = "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
    try:
        conn.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""), headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    except OSError:
        return None, b""
    finally:
        conn.close()


@dataclass
class Runtime:
    driver: LocalDriver
    versions: tuple[str, str]  # (WordPress, PHP) for new specs

    def spec(self, **changes: Any) -> InstanceSpec:
        wp, php = self.versions
        return make_spec(**{"wordpress_version": wp, "php_version": php, **changes})

    def root_sql(self, query: str, args: Any = None) -> list[tuple[Any, ...]]:
        with self.driver.db.cursor() as cur:
            cur.execute(query, args)
            return list(cur.fetchall())

    def site_connection(self, info: SiteInfo, database: str | None = None) -> pymysql.Connection:
        """A connection with the site's own credentials, read back from its wp-config.php."""
        site = Path(info.files_path)
        return pymysql.connect(unix_socket=str(self.driver.db.socket),
                               user=wordpress.read_config_value(site, "DB_USER"),
                               password=wordpress.read_config_value(site, "DB_PASSWORD") or "",
                               database=database or info.database, connect_timeout=5)

    def php(self) -> str:
        return self.driver.tools.php(self.versions[1])


def php_unserialize(php: str, value: str) -> Any:
    """PHP's own verdict on a serialized value (objects are never instantiated): None when it does not parse."""
    code = ("$v = @unserialize(stream_get_contents(STDIN), ['allowed_classes' => false]);"
            "echo json_encode($v === false ? null : ['value' => json_decode(json_encode((array) $v), true)]);")
    done = subprocess.run([php, "-r", code], input=value.encode(), capture_output=True, check=True, timeout=30)
    answer = json.loads(done.stdout)
    return None if answer is None else answer["value"]
