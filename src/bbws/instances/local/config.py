"""The generated wp-config.php of a local site, and the secrets it holds (DB password, salts)."""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass, field

SALT_NAMES = (
    "AUTH_KEY",
    "SECURE_AUTH_KEY",
    "LOGGED_IN_KEY",
    "NONCE_KEY",
    "AUTH_SALT",
    "SECURE_AUTH_SALT",
    "LOGGED_IN_SALT",
    "NONCE_SALT",
)
# Salts and passwords avoid quotes and backslashes, so they never need escaping in PHP or in SQL.
_ALPHABET = string.ascii_letters + string.digits + "!#$%&()*+,-.:;<=>?@[]^_{|}~"
_PASSWORD = string.ascii_letters + string.digits


def password(length: int = 24) -> str:
    return "".join(secrets.choice(_PASSWORD) for _ in range(length))


def salt() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(64))


def php_string(value: str) -> str:
    """A single-quoted PHP literal (only `\\` and `'` are special there)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


@dataclass(frozen=True)
class SiteConfig:
    database: str
    user: str
    password: str
    socket: str
    url: str  # WP_HOME and WP_SITEURL, without the trailing slash
    mail_log: str
    key: str
    debug: bool = False
    table_prefix: str = "wp_"
    salts: dict[str, str] = field(default_factory=lambda: {name: salt() for name in SALT_NAMES})


def render(config: SiteConfig) -> str:
    """The whole wp-config.php: no network updates or cron, direct file writes, ABSPATH is the site's folder."""
    constants: list[tuple[str, str]] = [
        ("DB_NAME", php_string(config.database)),
        ("DB_USER", php_string(config.user)),
        ("DB_PASSWORD", php_string(config.password)),
        ("DB_HOST", php_string(f"localhost:{config.socket}")),
        ("DB_CHARSET", "'utf8mb4'"),
        ("DB_COLLATE", "''"),
        *((name, php_string(config.salts[name])) for name in SALT_NAMES),
        ("WP_HOME", php_string(config.url)),
        ("WP_SITEURL", php_string(config.url)),
        ("AUTOMATIC_UPDATER_DISABLED", "true"),
        ("WP_AUTO_UPDATE_CORE", "false"),
        ("DISABLE_WP_CRON", "true"),
        ("WP_HTTP_BLOCK_EXTERNAL", "true"),
        ("FS_METHOD", "'direct'"),
        ("WP_DEBUG", "true" if config.debug else "false"),
        ("WP_DEBUG_DISPLAY", "true" if config.debug else "false"),
        ("BBWS_SITE_KEY", php_string(config.key)),
        ("BBWS_MAIL_LOG", php_string(config.mail_log)),
    ]
    lines = ["<?php", "// Written by the BBWS local runtime; it is rewritten on import and upgrade."]
    lines += [f"define({php_string(name)}, {value});" for name, value in constants]
    lines += [
        f"$table_prefix = {php_string(config.table_prefix)};",
        "if (!defined('ABSPATH')) {",
        "    define('ABSPATH', __DIR__ . '/');",
        "}",
        "require_once ABSPATH . 'wp-settings.php';",
        "",
    ]
    return "\n".join(lines)
