"""The built-in templates (`business`, `blog`): made by the platform from Debian's themes through the runtime
driver, seeded as PUBLISHED records at startup and built into archives on first use."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bbws.core.changes import Actor, Changes
from bbws.core.container import Container
from bbws.core.driver import DriverError, InstanceSpec, RuntimeDriver, SiteSpec
from bbws.core.files import scratch
from bbws.core.ids import new_id
from bbws.core.store import NOT_EXISTS, ConditionFailed, version_is
from bbws.templates import content, keys, records
from bbws.templates.content import Entry
from bbws.templates.models import TemplateStatus, template_not_found
from bbws.templates.platform import builder_spec, ensure_running, once

log = logging.getLogger("bbws.templates")


@dataclass(frozen=True)
class Builtin:
    slug: str
    name: str
    description: str
    category: str
    themes: tuple[str, ...]  # by preference; the first one the runtime has is used
    title: str
    tagline: str
    entries: tuple[Entry, ...]
    front_page: str | None  # title of the page shown as the front page; None: the latest posts
    menu: tuple[str, ...]  # the main menu: entry titles, `home:Label` (the front page), `category:Name`


BUILTINS = (
    Builtin(
        slug="business",
        name="Business",
        category="business",
        description="A company site on a block theme: Home (the front page), About, Services and Contact pages.",
        themes=("twentytwentythree", "twentytwentytwo"),
        title="Northwind Consulting",
        tagline=content.BUSINESS_TAGLINE,
        entries=content.BUSINESS_PAGES,
        front_page="Home",
        menu=("home:Home", "About", "Services", "Contact"),
    ),
    Builtin(
        slug="blog",
        name="Blog",
        category="blog",
        description="A personal blog: posts in Travel, Cooking and Notes categories, latest posts on the front page.",
        themes=("twentytwentyone", "twentytwentytwo", "twentytwentythree"),
        title="Field Notes",
        tagline=content.BLOG_TAGLINE,
        entries=content.BLOG_POSTS,
        front_page=None,
        menu=("home:Home", "category:Travel", "category:Cooking", "category:Notes", "About"),
    ),
)
BY_SLUG = {b.slug: b for b in BUILTINS}
# What `Builder.fill` does, as a number: raise it when its steps or the admin commands they run change, so
# archives built before are built again.
BUILD_STEPS = 2


def recipe_of(slug: str) -> str | None:
    """A fingerprint of how this platform builds the built-in template `slug` (its content and steps); an
    archive built from another recipe is built again on its next use."""
    builtin = BY_SLUG.get(slug)
    if builtin is None:
        return None
    text = f"{BUILD_STEPS}\n{builtin!r}\n{content.FRONT_PAGE_TEMPLATE}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def is_current(record: dict[str, Any]) -> bool:
    """Was this built-in version's archive built from this platform's recipe?"""
    return bool(record.get("checksum")) and record.get("recipe") == recipe_of(str(record.get("slug")))


def pick_theme(preferred: Sequence[str], installed: Sequence[str], avoid: Sequence[str] = ()) -> str | None:
    """The first preferred theme installed (one not in `avoid` when there is such), else any installed one."""
    for pool in ([t for t in preferred if t not in avoid], list(preferred), list(installed)):
        for theme in pool:
            if theme in installed:
                return theme
    return None


def seed_builtin(container: Container) -> list[str]:
    """Write the built-in templates that are missing (PUBLISHED version 1, archive built on first use); returns
    the slugs written. Idempotent: a slug already taken (by an earlier start, or an admin) is left alone."""
    store, made = container.store, []
    local = Path(container.settings.wordpress_source) / "wp-content" / "themes"
    installed = sorted(p.name for p in local.iterdir() if (p / "style.css").is_file()) if local.is_dir() else []
    for builtin in BUILTINS:
        if store.get(*keys.slug_lock(builtin.slug)) is not None:
            continue
        changes = Changes(actor=Actor.system("templates"), now=container.clock.now())
        template_id = new_id("tpl", now_ms=int(changes.now.timestamp() * 1000))
        theme = pick_theme(builtin.themes, installed) or builtin.themes[0]
        base = {
            "pk": keys.PK,
            "sk": keys.template_sk(template_id),
            "type": "template",
            "templateId": template_id,
            "slug": builtin.slug,
            "name": builtin.name,
            "description": builtin.description,
            "category": builtin.category,
            "builtin": True,
            "usageCount": 0,
            "latestVersion": 1,
            "pendingOperationId": None,
            "lastOperationId": None,
            "createdAt": changes.timestamp,
            "createdBy": changes.actor.sub,
            "updatedAt": changes.timestamp,
            "version": 1,
        }
        version = records.version_item(
            base, 1, TemplateStatus.PUBLISHED, changes, themeSlug=theme, publishedAt=changes.timestamp
        )
        template = records.describe(records.summarized(base, {1: TemplateStatus.PUBLISHED}), version)
        guard_pk, guard_sk = keys.slug_lock(builtin.slug)
        changes.put({"pk": guard_pk, "sk": guard_sk, "type": "templateSlug", "templateId": template_id}, NOT_EXISTS)
        changes.put(template, NOT_EXISTS)
        changes.put(version, NOT_EXISTS)
        # No audit record or event: the platform ships these; every process start would otherwise report them.
        try:
            changes.commit(store)  # guards: two servers seeding at the same moment
        except ConditionFailed:
            continue
        made.append(builtin.slug)
    return made


def ensure_built(container: Container, record: dict[str, Any], *, stale: str | None = None) -> dict[str, Any]:
    """The version record (merged with its template, as `find_usable` returns it) once its archive exists:
    built here under a lease, or by the worker already building it. `stale`: a checksum whose archive is lost."""
    store, template_id, number = container.store, record["templateId"], int(record["version"])

    def done() -> dict[str, Any] | None:
        version = records.get_version(store=store, template_id=template_id, number=number)
        template = records.get_template(store=store, template_id=template_id)
        if version is None or template is None:
            raise template_not_found(f"{record.get('slug', template_id)}@{number}")
        merged = records.merged(template, version)
        built = is_current(merged) and version["checksum"] != stale
        return merged if built else None

    return once(store, template_id, f"build-{number}", done=done, build=lambda: build(container, record))


class Builder:
    """A throw-away site in the platform's builder instance, filled through admin commands."""

    def __init__(self, driver: RuntimeDriver, spec: InstanceSpec, key: str) -> None:
        self.driver, self.spec, self.key = driver, spec, key

    def admin(self, command: str, **args: Any) -> Any:
        return self.driver.run_admin(self.spec, self.key, command, args)

    def fill(self, builtin: Builtin, avoid: Sequence[str] = ()) -> str:
        """Theme, pages or posts, front page and tagline; returns the theme used."""
        installed = [t["theme"] for t in self.admin("themes")]
        theme = pick_theme(builtin.themes, installed, avoid)
        if theme is None:
            raise DriverError("the runtime has no WordPress theme installed", code="THEME_NOT_FOUND")
        self.admin("switch-theme", theme=theme)
        self.admin("remove-sample-content")
        links: dict[str, str] = {}
        ids: dict[str, int] = {}
        for entry in builtin.entries:
            args: dict[str, Any] = {
                "title": entry.title,
                "content": content.with_links(entry.content, links),
                "type": entry.type,
                "status": "publish",
            }
            if entry.categories:
                args["categories"] = list(entry.categories)
            made = self.admin("create-post", **args)
            if entry.categories and not made.get("categories"):
                raise DriverError("the runtime's create-post command does not assign categories", code="NOT_SUPPORTED")
            links[entry.title], ids[entry.title] = str(made["link"]), int(made["id"])
        if builtin.front_page:
            self.admin("update-option", name="show_on_front", value="page")
            self.admin("update-option", name="page_on_front", value=str(ids[builtin.front_page]))
            self.admin("save-template", slug="front-page", title="Front page", content=content.FRONT_PAGE_TEMPLATE)
        else:
            self.admin("update-option", name="show_on_front", value="posts")
        self.admin("set-menu", name=builtin.name, items=[_menu_item(item, links) for item in builtin.menu])
        self.admin("update-option", name="blogdescription", value=builtin.tagline)
        return theme


def _menu_item(item: str, links: dict[str, str]) -> dict[str, Any]:
    kind, _, name = item.partition(":")
    if kind == "home" and name:
        return {"title": name, "home": True}
    if kind == "category" and name:
        return {"title": name, "category": name}
    return {"title": item, "url": links[item]}


def build(container: Container, record: dict[str, Any]) -> dict[str, Any]:
    """Install a throw-away site, fill it, export it, store the archive and record it; the site is removed."""
    builtin = BY_SLUG.get(record["slug"])
    if builtin is None:
        raise DriverError(f"no built-in template {record['slug']!r} in this version of the platform")
    driver = container.runtime.get()
    spec = builder_spec(driver)
    ensure_running(driver, spec)
    number, template_id = int(record["version"]), record["templateId"]
    key = f"bld-{template_id[4:]}-v{number}"
    driver.delete_site(spec, key)  # what a build that died half way left
    driver.install_site(
        spec,
        SiteSpec(
            key=key,
            path=f"build-{template_id[4:]}-v{number}",
            title=builtin.title,
            admin_email="webmaster@example.com",
            tagline=builtin.tagline,
        ),
    )
    try:
        builder = Builder(driver, spec, key)
        avoid = [b.themes[0] for b in BUILTINS if b is not builtin]  # two built-ins, two different looks
        theme = builder.fill(builtin, avoid)
        plugins = [p for p in builder.admin("plugins") if p.get("active")]
        with scratch(Path(container.settings.data_dir) / "tmp") as work:
            archive = driver.export_site(spec, key, Path(work) / "site.tar.gz")
            stored = container.artifacts.put(record["artifactKey"], archive)
    finally:
        driver.delete_site(spec, key)
    fields = {
        "checksum": stored.sha256,
        "size": stored.size,
        "themeSlug": theme,
        "includedPlugins": [p["slug"] for p in plugins],
        "plugins": plugins,
        "minWordPressVersion": spec.wordpress_version,
        "recipe": recipe_of(builtin.slug),
    }
    return records.merged(*_record_build(container, template_id, number, fields))


def _record_build(
    container: Container, template_id: str, number: int, fields: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    store = container.store

    def write(changes: Changes, template: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        version = records.get_version(store=store, template_id=template_id, number=number)
        if version is None:
            raise template_not_found(f"{template['slug']}@{number}")
        built = {
            **version,
            **fields,
            "builtAt": changes.timestamp,
            "updatedAt": changes.timestamp,
            "version": version["version"] + 1,
        }
        changes.put(built, version_is(version["version"]))  # guards: the version changed while it was built
        after = template
        if template.get("shownVersion") == number:
            after = records.put_template(changes, template, records.describe(template, built))
        return after, built

    result: tuple[dict[str, Any], dict[str, Any]] = records.with_template(
        store=store, clock=container.clock, actor=Actor.system("templates"), template_id=template_id, write=write
    )
    log.info("built-in template built", extra={"templateId": template_id, "version": number})
    return result
