"""Catalog rules without I/O: version order, header parsing, artifact keys and what may be installed."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from bbws.core.artifacts import check_key
from bbws.core.errors import ApiError
from bbws.plugins import models
from bbws.plugins.catalog import check_installable
from bbws.plugins.package import get_file_data


def test_version_keys_sort_like_versions() -> None:
    ordered = ["0.9", "1.0-beta1", "1.0-rc1", "1.0", "1.0.1", "1.2", "1.9.9", "1.10", "2.0-alpha", "2.0", "20230101"]
    assert sorted(reversed(ordered), key=models.version_key) == ordered
    assert models.version_key("1.0") == models.version_key("1.0.0")


@pytest.mark.parametrize(
    ("version", "minimum", "older"),
    [
        ("6.1.9", "6.2", True),
        ("6.2", "6.2", False),
        ("6.10", "6.9", False),
        ("6.2-RC1", "6.2", False),  # a release candidate of the minimum is that version for WordPress
        ("5.9.3", "5.10", True),
        ("6", "5.9", False),
    ],
)
def test_wordpress_versions_compare_as_numbers(version: str, minimum: str, older: bool) -> None:
    assert models.older_than(version, minimum) is older


@pytest.mark.parametrize(
    "text",
    [
        "<?php\n/*\nPlugin Name: Hello\n*/",
        "<?php\n/**\n * Plugin Name:   Hello  \n */",
        "<?php /* Plugin Name: Hello */ ?>",
        "<?php\r\n# plugin name: Hello\r\n",
        "<?php\n// Plugin Name: Hello ?>\n",
        "\t<?php Plugin Name: Hello",
    ],
)
def test_headers_are_read_as_wordpress_reads_them(text: str) -> None:
    assert get_file_data(text, "Plugin Name") == "Hello"


def test_a_header_must_start_its_line() -> None:
    assert get_file_data("<?php\n$x = 'Plugin Name: Hello';\n", "Plugin Name") == ""
    assert get_file_data("<?php\n/* nothing */\n", "Plugin Name") == ""


def test_artifact_keys_are_valid_store_keys() -> None:
    key = models.artifact_key("plugin", "bbws-hello", "2.0-RC1+build.5", "plg_01")
    assert key == "plugins/bbws-hello/2.0-rc1-build.5/plg_01.zip"
    assert check_key(key) == key
    assert models.artifact_key("theme", "plain", "1.0", "plg_02").startswith("themes/plain/")


def test_blocklist_setting() -> None:
    assert models.blocklist_of(" Hello-Dolly, ,akismet ") == {"hello-dolly", "akismet"}
    assert models.blocklist_of("") == frozenset()


def _entry(**fields: Any) -> dict[str, Any]:
    base = {
        "pluginId": "plg_x",
        "kind": "plugin",
        "slug": "bbws-hello",
        "pluginVersion": "1.0.0",
        "minWordPressVersion": "6.0",
        "blocklisted": False,
        "vulnerable": False,
        "vulnerabilities": [],
    }
    return {**base, **fields}


def _code(settings: Any, entry: dict[str, Any], wordpress: str = "6.1.9") -> str | None:
    try:
        check_installable(settings=settings, entry=entry, wordpress_version=wordpress)
    except ApiError as exc:
        assert exc.status == 422
        return exc.code
    return None


def test_what_may_be_installed() -> None:
    settings = SimpleNamespace(plugin_blocklist="evil-plugin")
    assert _code(settings, _entry()) is None
    assert _code(settings, _entry(slug="evil-plugin")) == "PLUG_002"
    assert _code(settings, _entry(blocklisted=True)) == "PLUG_002"
    vulnerable = _entry(vulnerable=True, vulnerabilities=[{"id": "CVE-2024-1", "summary": "XSS"}])
    assert _code(settings, vulnerable) == "PLUG_003"
    assert _code(settings, _entry(minWordPressVersion="6.2")) == "PLUGIN_INCOMPATIBLE"
    assert _code(settings, _entry(minWordPressVersion=None), wordpress="4.0") is None


def test_a_vulnerable_refusal_lists_the_vulnerabilities() -> None:
    found = [{"id": "CVE-2024-1", "summary": "XSS"}, {"id": "CVE-2024-2", "summary": "SQLi"}]
    with pytest.raises(ApiError) as caught:
        check_installable(
            settings=SimpleNamespace(plugin_blocklist=""),
            entry=_entry(vulnerable=True, vulnerabilities=found),
            wordpress_version="6.1",
        )
    assert caught.value.extra["vulnerabilities"] == found
    assert "CVE-2024-1, CVE-2024-2" in caught.value.detail
