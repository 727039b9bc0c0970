"""Sites on the local runtime: install, isolation, export/import with URL rewriting, search-replace, admin commands."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pymysql
import pytest

from bbws.core.driver import DriverError, InstanceSpec, SiteInfo
from tests.integration.runtime.helpers import Runtime, get, make_site, php_unserialize


def key_of(site: SiteInfo) -> str:
    return site.database_user.removeprefix("wp_")


def test_install_makes_a_database_a_user_and_a_working_site(
    runtime: Runtime, served: tuple[InstanceSpec, SiteInfo]
) -> None:
    spec, site = served
    assert site.admin_password and site.url.endswith(f"/{site.path}/")
    assert runtime.root_sql("SELECT User FROM mysql.user WHERE User = %s", (site.database,)) == [(site.database,)]
    code, body = get(site.url + "wp-json/")
    assert code == 200 and json.loads(body)["home"] == site.url.rstrip("/")
    assert get(site.url + "hello-world/")[0] == 200  # pretty permalinks through the router
    assert runtime.driver.site_info(spec, key_of(site)) == SiteInfo(**{**site.__dict__, "admin_password": None})
    # wp_install mailed the owner; the mail went to the instance's mail log instead of a mail server.
    mails = runtime.driver.files(spec).mail_log(key_of(site)).read_text().splitlines()
    assert json.loads(mails[0])["to"] == ["owner@example.com"]


def test_a_site_user_cannot_read_another_sites_database(
    runtime: Runtime, served: tuple[InstanceSpec, SiteInfo]
) -> None:
    spec, site = served
    other = runtime.driver.install_site(spec, make_site())
    try:
        with runtime.site_connection(site) as conn, conn.cursor() as cur:
            cur.execute("SELECT COUNT(*) FROM wp_posts")
            assert cur.fetchone()[0] >= 1
            with pytest.raises(pymysql.err.OperationalError) as denied:
                cur.execute(f"SELECT COUNT(*) FROM `{other.database}`.wp_posts")
            assert denied.value.args[0] in (1044, 1142)  # access denied to database / table
        with pytest.raises(pymysql.err.OperationalError):
            runtime.site_connection(site, database=other.database)
    finally:
        runtime.driver.delete_site(spec, key_of(other))
    assert (other.database,) not in runtime.root_sql("SHOW DATABASES")
    assert not Path(other.files_path).exists() and get(other.url)[0] == 404


def test_install_again_is_idempotent_and_paths_are_not_shared(
    runtime: Runtime, served: tuple[InstanceSpec, SiteInfo]
) -> None:
    spec, site = served
    again = runtime.driver.install_site(spec, make_site(key=key_of(site), path=site.path, admin_password="N3w-pass"))
    assert again.url == site.url and again.admin_password == "N3w-pass"
    with pytest.raises(DriverError, match="taken by another site") as raised:
        runtime.driver.install_site(spec, make_site(path=site.path))
    assert raised.value.code == "CONFLICT"
    with pytest.raises(DriverError, match="invalid site key"):
        runtime.driver.install_site(spec, make_site(key="Bad Key"))


def test_admin_commands_list_and_toggle_plugins_report_health_and_refuse_unknown_commands(
    runtime: Runtime, served: tuple[InstanceSpec, SiteInfo]
) -> None:
    spec, site = served
    key = key_of(site)
    plugins = {p["slug"]: p for p in runtime.driver.run_admin(spec, key, "plugins")}
    assert plugins["akismet"]["active"] is False and plugins["akismet"]["version"]
    assert runtime.driver.run_admin(spec, key, "activate-plugin", {"plugin": "akismet"})["active"] is True
    assert runtime.driver.run_admin(spec, key, "deactivate-plugin", {"plugin": "akismet"})["active"] is False
    health = runtime.driver.run_admin(spec, key, "health")
    assert health["wordpress"] == spec.wordpress_version and health["php"].startswith(spec.php_version)
    assert "MariaDB" in health["database"] and {t["test"] for t in health["tests"]} >= {"php_version", "sql_server"}
    assert runtime.driver.run_admin(spec, key, "get-option", {"name": "blogname"})["value"] == "Site " + key[-6:]
    with pytest.raises(DriverError) as unknown:
        runtime.driver.run_admin(spec, key, "drop-everything")
    assert unknown.value.code == "UNKNOWN_COMMAND"
    with pytest.raises(DriverError, match="no plugin"):
        runtime.driver.run_admin(spec, key, "activate-plugin", {"plugin": "not-there"})


def test_an_application_password_opens_the_rest_api(runtime: Runtime, served: tuple[InstanceSpec, SiteInfo]) -> None:
    spec, site = served
    made = runtime.driver.run_admin(spec, key_of(site), "create-app-password", {"name": "test"})
    code, body = get(site.url + "wp-json/wp/v2/users/me", auth=(made["user"], made["password"]))
    assert code == 200 and json.loads(body)["slug"] == site.admin_user
    assert get(site.url + "wp-json/wp/v2/users/me", auth=(made["user"], "wrong " + made["password"]))[0] == 401


def test_search_replace_keeps_serialized_values_valid(runtime: Runtime, served: tuple[InstanceSpec, SiteInfo]) -> None:
    spec, site = served
    old, new = "http://old.example", "https://a-much-longer-name.example.org"
    nested = f'a:1:{{s:4:"link";s:{len(old) + 2}:"{old}/x";}}'
    values = {
        "bbws_sr_array": f'a:2:{{s:3:"url";s:{len(old)}:"{old}";s:4:"list";a:1:{{i:0;s:{len(old) + 4}:"{old}/abc";}}}}',
        "bbws_sr_nested": f's:{len(nested)}:"{nested}";',  # serialized twice, as some plugins store it
        "bbws_sr_object": f'O:13:"Plugin_Config":1:{{s:4:"home";s:{len(old)}:"{old}";}}',  # class not loaded
        "bbws_sr_plain": f"see {old} and {old}/about",
        "bbws_sr_broken": f's:99:"{old}";',  # not valid serialized PHP: replaced as plain text
    }
    with runtime.site_connection(site) as conn, conn.cursor() as cur:
        for name, value in values.items():
            cur.execute("REPLACE INTO wp_options (option_name, option_value, autoload) VALUES (%s, %s, 'no')",
                        (name, value))
        conn.commit()
    assert runtime.driver.search_replace(spec, key_of(site), old, new) == len(values)
    assert runtime.driver.search_replace(spec, key_of(site), old, new) == 0
    with runtime.site_connection(site) as conn, conn.cursor() as cur:
        cur.execute("SELECT option_name, option_value FROM wp_options WHERE option_name LIKE 'bbws\\_sr\\_%%'")
        stored = dict(cur.fetchall())
        cur.execute("DELETE FROM wp_options WHERE option_name LIKE 'bbws\\_sr\\_%%'")
        conn.commit()
    php = runtime.php()
    assert php_unserialize(php, stored["bbws_sr_array"]) == {"url": new, "list": [new + "/abc"]}
    inner = php_unserialize(php, stored["bbws_sr_nested"])
    assert php_unserialize(php, inner[0]) == {"link": new + "/x"}
    assert php_unserialize(php, stored["bbws_sr_object"]) == {"__PHP_Incomplete_Class_Name": "Plugin_Config",
                                                              "home": new}
    assert stored["bbws_sr_plain"] == f"see {new} and {new}/about"
    assert stored["bbws_sr_broken"] == f's:99:"{new}";'
    with pytest.raises(DriverError):
        runtime.driver.search_replace(spec, key_of(site), "", "x")


def test_export_and_import_as_another_site_keeps_content_and_rewrites_urls(
    runtime: Runtime, fresh_instance: Callable[..., InstanceSpec], tmp_path: Path
) -> None:
    driver = runtime.driver
    source_spec = fresh_instance()
    source = driver.install_site(source_spec, make_site())
    old = source.url.rstrip("/")
    post = driver.run_admin(source_spec, key_of(source), "create-post",
                            {"title": "Carried over", "content": f'<a href="{old}/about/">about</a>'})
    driver.run_admin(source_spec, key_of(source), "update-option",
                     {"name": "bbws_links", "value": {"home": old, "pages": [old + "/a", old + "/b"]}})
    app = driver.run_admin(source_spec, key_of(source), "create-app-password", {"name": "copied"})

    archive = driver.export_site(source_spec, key_of(source), tmp_path / "site.tar.gz")
    target_spec = fresh_instance(environment="sit")
    copy = driver.import_site(target_spec, make_site(), archive)
    new = copy.url.rstrip("/")

    code, body = get(copy.url + "wp-json/wp/v2/posts")
    assert code == 200 and "Carried over" in body.decode()
    assert f"{new}/about/" in body.decode().replace("\\/", "/") and old not in body.decode().replace("\\/", "/")
    assert get(copy.url + f"?p={post['id']}")[0] in (200, 301)
    with runtime.site_connection(copy) as conn, conn.cursor() as cur:
        for table, column in (("wp_options", "option_value"), ("wp_posts", "post_content"), ("wp_posts", "guid")):
            cur.execute(f"SELECT COUNT(*) FROM {table} WHERE {column} LIKE %s", (f"%{old}%",))
            assert cur.fetchone()[0] == 0, f"{table}.{column} still names the source"
    links = driver.run_admin(target_spec, key_of(copy), "get-option", {"name": "bbws_links"})["value"]
    assert links == {"home": new, "pages": [new + "/a", new + "/b"]}  # the serialized option still unserializes
    # Credentials made on the source do not open the copy; the copy's own admin password is new.
    assert get(source.url + "wp-json/wp/v2/users/me", auth=(app["user"], app["password"]))[0] == 200
    assert get(copy.url + "wp-json/wp/v2/users/me", auth=(app["user"], app["password"]))[0] == 401
    assert copy.admin_password and copy.admin_password != source.admin_password
    assert driver.run_admin(target_spec, key_of(copy), "get-option", {"name": "blogname"})["value"] == "Site " + key_of(
        copy
    )[-6:]
