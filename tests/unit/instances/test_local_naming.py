"""Local runtime names: validation before SQL or paths, GRANT patterns, php -d flags, port choice."""

from __future__ import annotations

import random

import pytest

from bbws.core.driver import DriverError
from bbws.instances.local import naming


@pytest.mark.parametrize("key", ["site_01jd3m8x2v9k4q7r5t6w8y0z1a", "blog", "a-b_c", "x" * 40])
def test_site_keys_that_name_a_database(key: str) -> None:
    assert naming.database_name(key) == f"wp_{key}"


@pytest.mark.parametrize(
    "key", ["", "Blog", "x" * 41, "-lead", "a b", "a`b", "a;b", "../x", "é", "a\nb", "wp_a%"]
)
def test_site_keys_outside_the_pattern_are_refused(key: str) -> None:
    with pytest.raises(DriverError) as raised:
        naming.site_key(key)
    assert raised.value.code == "INVALID_NAME"


@pytest.mark.parametrize("path", ["blog", "a", "my-shop", "x" * 63])
def test_site_paths_are_dns_labels(path: str) -> None:
    assert naming.site_path(path) == path


@pytest.mark.parametrize("path", ["", "-a", "a-", "A", "x" * 64, "a.b", "a/b", ".."])
def test_other_site_paths_are_refused(path: str) -> None:
    with pytest.raises(DriverError):
        naming.site_path(path)


def test_instance_folders_are_named_by_tenant_and_environment() -> None:
    assert naming.instance_dirname("ten_01abc", "prod") == "ten_01abc-prod"
    for tenant, env in (("../etc", "dev"), ("ten_1", "staging"), ("", "dev"), ("a/b", "sit")):
        with pytest.raises(DriverError):
            naming.instance_dirname(tenant, env)


def test_grant_patterns_escape_the_wildcards_of_database_names() -> None:
    # `wp_a_b` unescaped would also grant `wp_a-b` (another site's database).
    assert naming.grant_pattern("wp_a_b") == r"`wp\_a\_b`"
    assert naming.grant_pattern("wp_a-b") == r"`wp\_a-b`"
    with pytest.raises(DriverError):
        naming.quote_identifier("a`b")


def test_php_versions_name_a_binary_by_major_and_minor() -> None:
    assert naming.php_minor("8.2") == "8.2"
    assert naming.php_minor("8.4.11") == "8.4"
    with pytest.raises(DriverError):
        naming.php_minor("8")


def test_settings_become_php_ini_flags() -> None:
    flags = naming.php_settings({"phpMemoryLimit": "256M", "uploadMaxFilesize": "64M", "debug": True})
    assert flags == ["-d", "memory_limit=256M", "-d", "upload_max_filesize=64M", "-d", "post_max_size=64M",
                     "-d", "display_errors=1", "-d", "log_errors=1"]
    assert naming.php_settings({}) == ["-d", "display_errors=0", "-d", "log_errors=1"]
    for bad in ({"phpMemoryLimit": "256M\n-d x"}, {"uploadMaxFilesize": 64}, {"phpMemoryLimit": "-1"}):
        with pytest.raises(DriverError):
            naming.php_settings(bad)


def test_port_choice_skips_ports_taken_by_other_instances_or_other_programs() -> None:
    ports = range(20000, 20010)
    busy = {20001, 20002}
    chosen = {
        naming.choose_port(ports, taken={20000, 20003}, is_free=lambda p: p not in busy, rng=random.Random(seed))
        for seed in range(50)
    }
    assert chosen <= set(ports) - {20000, 20001, 20002, 20003} and len(chosen) > 1  # random start, not always one
    assert naming.choose_port(ports, taken=set(ports), is_free=lambda p: True) is None
    assert naming.choose_port(range(0), taken=(), is_free=lambda p: True) is None


def test_site_urls_have_no_trailing_slash_as_wordpress_keeps_home() -> None:
    assert naming.site_url(20005, "blog") == "http://127.0.0.1:20005/blog"
