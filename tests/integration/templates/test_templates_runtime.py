"""Templates on real WordPress (the local runtime): the built-in templates are built and make working sites;
a template made from a site is published and previewed."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bbws.core.driver import InstanceSpec, SiteSpec
from bbws.core.ids import new_id
from bbws.instances.runtime import stop_runtime
from bbws.sites.records import instance_spec_for
from bbws.templates import records, service
from bbws.templates.builtin import recipe_of, seed_builtin
from bbws.templates.platform import preview_spec
from tests.integration.templates.conftest import with_template_routes, write_site
from tests.support.api import ApiHarness, rid

# Instances of this module only: below the ephemeral range, above the blocks the other runtime tests use.
PORTS = "32000-32299"


def get(url: str) -> httpx.Response:
    return httpx.get(url, timeout=20, trust_env=False, follow_redirects=True)


def rest(url: str, what: str) -> list[dict[str, Any]]:
    answer = get(f"{url}?rest_route=/wp/v2/{what}&per_page=100")
    assert answer.status_code == 200, answer.text[:300]
    return list(answer.json())


class Live(ApiHarness):
    tenant_id = ""

    def spec(self) -> InstanceSpec:
        return instance_spec_for(self.container.store, {"tenantId": self.tenant_id, "environment": "dev"})


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    api = Live(tmp_path_factory.mktemp("templates") / "data", instance_ports=PORTS)
    missing = api.container.runtime.get().missing()
    if missing:  # scripts/setup.sh installs these; without them these tests must fail, not skip
        pytest.fail(f"the local runtime needs: {' '.join(missing)} (run scripts/setup.sh)")
    with_template_routes(api.app)
    seed_builtin(api.container)
    tenant = api.create_tenant()
    api.run_jobs()
    api.tenant_id = tenant["tenantId"]
    body = {"environment": "dev", "desiredCount": 1}
    op = api.wait(api.client.post(f"/v1.0/tenants/{api.tenant_id}/instances", json=body, headers=api.admin()))
    assert op["status"] == "COMPLETED", op
    yield api
    stop_runtime(api.container)


def import_into_new_site(api: Live, archive: Path) -> tuple[str, str]:
    """A new site in the tenant's instance made from the archive: (its driver key, its URL)."""
    key = new_id("site")
    info = api.container.runtime.get().import_site(
        api.spec(),
        SiteSpec(key=key, path="s" + key[-10:], title="From a template", admin_email="o@example.com"),
        archive,
    )
    return key, info.url


@pytest.mark.parametrize("slug", ["business", "blog"])
def test_builtin_templates_build_and_make_working_sites(live: Live, slug: str, tmp_path: Path) -> None:
    started = time.monotonic()
    archive = service.archive_for(
        container=live.container, template=service.find_usable(store=live.container.store, ref=slug), work_dir=tmp_path
    )
    built = time.monotonic() - started
    record = service.find_usable(store=live.container.store, ref=slug)
    assert record["checksum"] and record["minWordPressVersion"] and record["themeSlug"]
    print(f"\nbuilt-in template {slug}: built in {built:.1f} s, {record['size'] / 1e6:.1f} MB")

    key, url = import_into_new_site(live, archive)
    front = get(url)
    assert front.status_code == 200
    driver = live.container.runtime.get()
    themes = driver.run_admin(live.spec(), key, "themes")
    assert [t["theme"] for t in themes if t["active"]] == [record["themeSlug"]]
    assert record["themeSlug"] in front.text  # the theme's own stylesheet or templates serve the page
    option = lambda name: driver.run_admin(live.spec(), key, "get-option", {"name": name})["value"]  # noqa: E731
    if slug == "business":
        assert record["themeSlug"] in ("twentytwentythree", "twentytwentytwo")  # a block theme
        pages = {p["title"]["rendered"]: p for p in rest(url, "pages")}
        assert {"Home", "About", "Services", "Contact"} <= set(pages)
        assert option("show_on_front") == "page" and int(option("page_on_front")) == pages["Home"]["id"]
        assert "Grow with confidence" in front.text and url.rstrip("/") in front.text  # links point at the new site
        assert "Practical consulting" in str(option("blogdescription"))
        assert "Book a free conversation" in get(pages["Services"]["link"]).text
    else:
        titles = {p["title"]["rendered"] for p in rest(url, "posts")}
        assert {"A weeknight bobotie", "Three days on the Garden Route"} <= titles
        names = {c["name"]: c["count"] for c in rest(url, "categories")}
        assert names.get("Travel") == 2 and names.get("Cooking") == 1 and names.get("Notes") == 2
        assert option("show_on_front") == "posts" and "A weeknight bobotie" in front.text
    looks_finished(front.text, slug, url, pages if slug == "business" else {})
    # a second use does not build again
    again = service.archive_for(container=live.container, template=record, work_dir=tmp_path / "again")
    assert again.stat().st_size == record["size"]
    driver.delete_site(live.spec(), key)


def menu_links(html: str) -> dict[str, str]:
    """The links of the page's navigation menus: text -> href."""
    found: dict[str, str] = {}
    for nav in re.findall(r"<nav\b.*?</nav>", html, re.S):
        for href, text in re.findall(r'<a\b[^>]*href="([^"]+)"[^>]*>(.*?)</a>', nav, re.S):
            label = re.sub(r"<[^>]+>", "", text).strip()
            if label:
                found.setdefault(label, href)
    return found


def looks_finished(html: str, slug: str, url: str, pages: dict[str, Any]) -> None:
    """What a visitor of a new site sees: the template's own content and menu, none of WordPress's samples."""
    assert "Sample Page" not in html and "Hello world!" not in html and "sample-page" not in html
    menu = menu_links(html)
    if slug == "business":
        head = html[: html.index("Grow with confidence")]
        assert not re.search(r"<h[1-6][^>]*>\s*Home\s*</h[1-6]>", head), "a page title above the hero"
        assert [t for t in menu if t in pages] == ["Home", "About", "Services", "Contact"], menu
        assert all(menu[t] == pages[t]["link"] for t in ("About", "Services", "Contact")), menu
        about = get(pages["About"]["link"]).text
        assert len(re.findall(r"<h1[^>]*>\s*About\s*</h1>", about)) == 1 and "About us" not in about  # one title
    else:
        assert {"Travel", "Cooking", "Notes", "About"} <= set(menu), menu
        assert menu["Travel"].startswith(url) and "Three days on the Garden Route" in get(menu["Travel"]).text
        assert get(menu["About"]).status_code == 200


def test_a_builtin_archive_from_an_older_recipe_is_built_again(live: Live, tmp_path: Path) -> None:
    store = live.container.store
    record = service.find_usable(store=store, ref="business")
    service.archive_for(container=live.container, template=record, work_dir=tmp_path / "first")
    record = service.find_usable(store=store, ref="business")
    version = records.get_version(store=store, template_id=record["templateId"], number=int(record["version"]))
    assert version is not None and version["recipe"] == recipe_of("business")
    store.put({**version, "recipe": "an-older-recipe"})  # what a platform before this recipe recorded
    stale = service.find_usable(store=store, ref="business")
    service.archive_for(container=live.container, template=stale, work_dir=tmp_path / "again")
    rebuilt = service.find_usable(store=store, ref="business")
    assert rebuilt["recipe"] == recipe_of("business") and rebuilt["builtAt"] != version["builtAt"]


def test_a_template_made_from_a_site_is_published_and_previewed(live: Live) -> None:
    site = write_site(live, live.tenant_id)
    driver = live.container.runtime.get()
    spec = live.spec()
    driver.run_admin(
        spec, site["key"], "create-post", {"title": "Our menu", "content": "Soup of the day", "type": "page"}
    )
    driver.run_admin(spec, site["key"], "switch-theme", {"theme": "twentytwentytwo"})
    slug = rid("cafe")
    body = {"slug": slug, "name": "Cafe", "category": "food", "tenantId": live.tenant_id, "siteId": site["siteId"]}
    made = live.wait(live.client.post("/v1.0/admin/templates", json=body, headers=live.admin()))
    assert made["status"] == "COMPLETED", made
    template_id = made["result"]["templateId"]
    shown = live.client.get(f"/v1.0/templates/{slug}", headers=live.admin()).json()
    assert shown["themeSlug"] == "twentytwentytwo" and shown["versionStatus"] == "DRAFT"
    published = live.client.post(f"/v1.0/admin/templates/{template_id}/publish", json={}, headers=live.admin())
    assert published.status_code == 200 and published.json()["status"] == "PUBLISHED"

    user = live.member(live.tenant_id, "VIEWER")
    started = time.monotonic()
    op = live.wait(live.client.post(f"/v1.0/templates/{slug}/preview", json={"tenantId": live.tenant_id}, headers=user))
    took = time.monotonic() - started
    assert op["status"] == "COMPLETED", op
    print(f"\npreview of {slug}@1 made in {took:.1f} s")
    preview = live.client.get(f"/v1.0/templates/{slug}/preview", headers=user).json()
    assert preview["status"] == "READY" and preview["url"] == op["result"]["url"]
    assert get(preview["url"]).status_code == 200
    assert "Our menu" in {p["title"]["rendered"] for p in rest(preview["url"], "pages")}
    previews = preview_spec(driver)
    themes = driver.run_admin(previews, f"{template_id}-v1", "themes")
    assert [t["theme"] for t in themes if t["active"]] == ["twentytwentytwo"]

    started = time.monotonic()
    again = live.wait(live.client.post(f"/v1.0/templates/{slug}/preview", json={}, headers=live.admin()))
    assert again["status"] == "COMPLETED" and again["result"]["url"] == preview["url"]
    print(f"preview of {slug}@1 found again in {time.monotonic() - started:.1f} s")
