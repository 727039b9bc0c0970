"""The sites API on real WordPress: create, health, suspend, backup/restore by content, clone, promote, delete."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bbws.instances.runtime import stop_runtime
from bbws.instances.service import spec_of
from bbws.sites.records import instance_of
from tests.integration.runtime.helpers import port_block
from tests.support.api import ApiHarness
from tests.support.debian_packages import debian_plugin_folder
from tests.support.packages import upload, zip_folder


def get(url: str) -> httpx.Response:
    return httpx.get(url, timeout=15, trust_env=False)


class Live(ApiHarness):
    def sites(self, tid: str) -> str:
        return f"/v1.0/tenants/{tid}/sites"

    def done(self, response: Any) -> dict[str, Any]:
        op = self.wait(response)
        assert op["status"] == "COMPLETED", (op["operationType"], op["error"])
        return op

    def site(self, tid: str, site_id: str) -> dict[str, Any]:
        return dict(self.client.get(f"{self.sites(tid)}/{site_id}", headers=self.admin()).json())

    def admin_cmd(self, site: dict[str, Any], command: str, args: dict[str, Any] | None = None) -> Any:
        instance = instance_of(self.container.store, site["tenantId"], site["environment"])
        assert instance is not None
        return self.container.runtime.get().run_admin(spec_of(instance), site["siteId"], command, args)

    def titles(self, site: dict[str, Any]) -> list[str]:
        posts = get(site["url"] + "wp-json/wp/v2/posts?per_page=100").json()
        return sorted(p["title"]["rendered"] for p in posts)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Live, str]]:
    block = port_block(200)
    api = Live(tmp_path_factory.mktemp("sites") / "data", instance_ports=f"{block.start}-{block.stop - 1}")
    tenant = api.create_tenant()
    api.run_jobs()
    tid = tenant["tenantId"]
    for env in ("dev", "sit"):
        api.done(
            api.client.post(
                f"/v1.0/tenants/{tid}/instances", json={"environment": env, "desiredCount": 1}, headers=api.admin()
            )
        )
    yield api, tid
    stop_runtime(api.container)


def test_create_health_suspend_and_update(live: tuple[Live, str]) -> None:
    api, tid = live
    op = api.done(
        api.client.post(
            api.sites(tid),
            json={"siteName": "Acme", "subdomain": "acme", "environment": "dev", "tagline": "Widgets"},
            headers=api.admin(),
        )
    )
    site = api.site(tid, op["result"]["siteId"])
    assert site["status"] == "ACTIVE" and site["healthStatus"] == "HEALTHY"
    front = get(site["url"])
    assert front.status_code == 200 and "Acme" in front.text
    health = api.client.post(f"{api.sites(tid)}/{site['siteId']}/health", headers=api.admin()).json()
    assert health["healthStatus"] == "HEALTHY", health
    names = {c["name"]: c for c in health["checks"]}
    assert names["frontPage"]["httpStatus"] == 200 and names["loginPage"]["httpStatus"] == 200
    assert health["versions"]["wordpress"] == site["wordpressVersion"]

    api.done(
        api.client.put(f"{api.sites(tid)}/{site['siteId']}/status", json={"action": "suspend"}, headers=api.admin())
    )
    assert get(site["url"]).status_code == 503
    suspended = api.client.post(f"{api.sites(tid)}/{site['siteId']}/health", headers=api.admin()).json()
    assert suspended["healthStatus"] == "UNHEALTHY"
    api.done(
        api.client.put(f"{api.sites(tid)}/{site['siteId']}/status", json={"action": "activate"}, headers=api.admin())
    )
    assert get(site["url"]).status_code == 200
    api.done(
        api.client.put(f"{api.sites(tid)}/{site['siteId']}", json={"siteName": "Acme Widgets"}, headers=api.admin())
    )
    assert "Acme Widgets" in get(site["url"]).text


def test_backup_restore_clone_promote_delete(live: tuple[Live, str]) -> None:
    api, tid = live
    op = api.done(
        api.client.post(
            api.sites(tid), json={"siteName": "Shop", "subdomain": "shop", "environment": "dev"}, headers=api.admin()
        )
    )
    site = api.site(tid, op["result"]["siteId"])
    for n in range(5):
        api.admin_cmd(site, "create-post", {"title": f"Post {n}", "content": f"<p>Body {n} {site['url']}</p>"})
    before = api.titles(site)
    assert len(before) == 6  # with WordPress's own first post

    backup = api.done(api.client.post(f"{api.sites(tid)}/{site['siteId']}/backup", headers=api.admin()))
    backup_id = backup["result"]["backupId"]
    with api.container.runtime.get().db.cursor() as cur:
        cur.execute(f"DELETE FROM `wp_{site['siteId']}`.wp_posts WHERE post_title IN ('Post 0', 'Post 1')")
    assert len(api.titles(site)) == 4
    restored = api.done(
        api.client.post(f"{api.sites(tid)}/{site['siteId']}/restore", json={"backupId": backup_id}, headers=api.admin())
    )
    assert restored["result"]["restore"]["verified"] is True
    assert api.titles(site) == before

    copy_op = api.done(
        api.client.post(
            f"{api.sites(tid)}/{site['siteId']}/clone",
            json={"subdomain": "shopcopy", "siteName": "Shop Copy"},
            headers=api.admin(),
        )
    )
    copy = api.site(tid, copy_op["result"]["siteId"])
    assert api.titles(copy) == before
    posts = get(copy["url"] + "wp-json/wp/v2/posts?per_page=100").text
    assert site["url"].replace("/", "\\/") not in posts and copy["url"].replace("/", "\\/") in posts

    plan = api.client.post(
        f"{api.sites(tid)}/{site['siteId']}/promote",
        json={"target": "sit"},
        params={"dryRun": "true"},
        headers=api.admin(),
    ).json()
    assert plan["targetSiteId"] is None and any(t["table"] == "wp_posts" for t in plan["tables"])
    promoted = api.done(
        api.client.post(f"{api.sites(tid)}/{site['siteId']}/promote", json={"target": "sit"}, headers=api.admin())
    )
    sit = api.site(tid, promoted["result"]["targetSiteId"])
    assert sit["environment"] == "sit" and get(sit["url"]).status_code == 200 and api.titles(sit) == before

    api.done(api.client.delete(f"{api.sites(tid)}/{copy['siteId']}", headers=api.admin()))
    assert get(copy["url"]).status_code == 404
    assert api.site(tid, copy["siteId"])["status"] == "DELETED"


def test_a_broken_plugin_fails_the_promotion_gate_and_the_target_is_put_back(
    live: tuple[Live, str], tmp_path: Path
) -> None:
    """Debian's packaged http-authentication plugin breaks the login page: promoting a site that runs it must
    leave the sit copy exactly as it was."""
    api, tid = live
    op = api.done(
        api.client.post(
            api.sites(tid), json={"siteName": "Gate", "subdomain": "gate", "environment": "dev"}, headers=api.admin()
        )
    )
    dev = api.site(tid, op["result"]["siteId"])
    sit = api.site(
        tid,
        api.done(
            api.client.post(f"{api.sites(tid)}/{dev['siteId']}/promote", json={"target": "sit"}, headers=api.admin())
        )["result"]["targetSiteId"],
    )
    sit_titles = api.titles(sit)

    folder = debian_plugin_folder("wordpress-plugin-http-authentication")
    uploaded = upload(api, zip_folder(folder, tmp_path / "http-authentication.zip"))
    assert uploaded.status_code == 201, uploaded.text
    api.done(
        api.client.post(
            f"{api.sites(tid)}/{dev['siteId']}/plugins",
            json={"pluginId": uploaded.json()["pluginId"]},
            headers=api.admin(),
        )
    )
    api.admin_cmd(dev, "create-post", {"title": "Only in dev"})
    assert get(dev["url"] + "wp-login.php").status_code == 500  # what the gate will find on the copy

    op = api.wait(
        api.client.post(f"{api.sites(tid)}/{dev['siteId']}/promote", json={"target": "sit"}, headers=api.admin())
    )
    assert op["status"] == "FAILED" and op["error"]["code"] == "HEALTH_GATE_FAILED", op
    after = api.site(tid, sit["siteId"])
    assert after["status"] == "ACTIVE" and api.titles(after) == sit_titles
    assert get(sit["url"] + "wp-login.php").status_code == 200
    plugins = [p["slug"] for p in api.admin_cmd(after, "plugins") if p["active"]]
    assert "http-authentication" not in plugins
    promotion = api.client.get(f"{api.sites(tid)}/{dev['siteId']}/promotions", headers=api.admin()).json()["items"][0]
    assert promotion["status"] == "ROLLED_BACK"
    login = next(c for c in promotion["health"]["checks"] if c["name"] == "loginPage")
    assert login["status"] == "fail" and login["httpStatus"] == 500
