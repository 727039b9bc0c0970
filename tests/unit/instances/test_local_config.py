"""The generated wp-config.php: quoting, fresh secrets, and the constants the local runtime relies on."""

from __future__ import annotations

from bbws.instances.local import config
from bbws.instances.local.versions import version_key


def site_config(**changes: object) -> config.SiteConfig:
    fields: dict[str, object] = {"database": "wp_blog", "user": "wp_blog", "password": "pw", "socket": "/r/m.sock",
                                 "url": "http://127.0.0.1:20001/blog", "mail_log": "/r/mail/blog.jsonl", "key": "blog"}
    fields.update(changes)
    return config.SiteConfig(**fields)  # type: ignore[arg-type]


def test_php_strings_escape_quotes_and_backslashes() -> None:
    assert config.php_string("it's a \\ path") == "'it\\'s a \\\\ path'"


def test_the_config_defines_the_database_urls_and_safety_switches() -> None:
    text = config.render(site_config(password="s3cret"))
    for line in (
        "define('DB_NAME', 'wp_blog');",
        "define('DB_PASSWORD', 's3cret');",
        "define('DB_HOST', 'localhost:/r/m.sock');",
        "define('WP_HOME', 'http://127.0.0.1:20001/blog');",
        "define('WP_SITEURL', 'http://127.0.0.1:20001/blog');",
        "define('AUTOMATIC_UPDATER_DISABLED', true);",
        "define('DISABLE_WP_CRON', true);",
        "define('WP_HTTP_BLOCK_EXTERNAL', true);",
        "define('FS_METHOD', 'direct');",
        "define('BBWS_MAIL_LOG', '/r/mail/blog.jsonl');",
        "$table_prefix = 'wp_';",
        "require_once ABSPATH . 'wp-settings.php';",
    ):
        assert line in text
    assert text.index("define('ABSPATH', __DIR__ . '/');") < text.index("wp-settings.php")


def test_every_config_gets_its_own_salts_and_passwords() -> None:
    first, second = site_config(), site_config()
    assert set(first.salts) == set(config.SALT_NAMES) and all(len(v) == 64 for v in first.salts.values())
    assert first.salts != second.salts
    assert all("'" not in v and "\\" not in v for v in first.salts.values())
    assert config.password() != config.password() and config.password().isalnum()


def test_versions_sort_by_number_not_by_text() -> None:
    assert sorted(["8.10", "8.2", "7.4"], key=version_key) == ["7.4", "8.2", "8.10"]
    assert sorted(["6.10.1", "6.8", "6.1.9"], key=version_key) == ["6.1.9", "6.8", "6.10.1"]
