"""The built-in templates' definitions: theme choice and well-formed block markup (no I/O)."""

from __future__ import annotations

import re

import pytest

from bbws.templates.builtin import BUILTINS, BY_SLUG, is_current, pick_theme, recipe_of
from bbws.templates.content import FRONT_PAGE_TEMPLATE, Entry, with_links
from bbws.templates.models import SLUG

DEBIAN = ("twentytwentyone", "twentytwentythree", "twentytwentytwo")
BLOCK = re.compile(r"<!-- (/?)wp:([a-z][a-z0-9/-]*)(?: (\{.*?\}))?( /)? -->")


def test_there_are_at_least_two_builtins_with_valid_slugs_and_different_preferred_themes() -> None:
    assert {"business", "blog"} <= set(BY_SLUG)
    assert all(SLUG.match(b.slug) for b in BUILTINS)
    assert BY_SLUG["business"].themes[0] != BY_SLUG["blog"].themes[0]
    assert BY_SLUG["business"].front_page == "Home"
    pages = {e.title for e in BY_SLUG["business"].entries if e.type == "page"}
    assert {"Home", "About", "Services", "Contact"} <= pages
    posts = [e for e in BY_SLUG["blog"].entries if e.type == "post"]
    assert len(posts) >= 3 and all(e.categories for e in posts)


def test_themes_are_picked_by_preference_and_fall_back_to_what_exists() -> None:
    business, blog = BY_SLUG["business"], BY_SLUG["blog"]
    assert pick_theme(business.themes, DEBIAN) == "twentytwentythree"
    assert pick_theme(blog.themes, DEBIAN, avoid=["twentytwentythree"]) == "twentytwentyone"
    assert pick_theme(business.themes, ["twentytwentytwo"]) == "twentytwentytwo"
    # only the theme the other template prefers: used anyway rather than failing
    assert pick_theme(blog.themes, ["twentytwentythree"], avoid=["twentytwentythree"]) == "twentytwentythree"
    assert pick_theme(business.themes, ["someothertheme"]) == "someothertheme"
    assert pick_theme(business.themes, []) is None


def _balanced(markup: str) -> bool:
    stack: list[str] = []
    for closing, name, _attrs, selfclosing in BLOCK.findall(markup):
        if selfclosing:
            continue
        if closing:
            if not stack or stack.pop() != name:
                return False
        else:
            stack.append(name)
    return not stack


@pytest.mark.parametrize("entry", [e for b in BUILTINS for e in b.entries], ids=lambda e: e.title)
def test_every_entry_is_balanced_block_markup_linking_only_to_entries_made_before_it(entry: Entry) -> None:
    assert entry.content.startswith("<!-- wp:") and _balanced(entry.content)
    owner = next(b for b in BUILTINS if entry in b.entries)
    earlier = {e.title for e in owner.entries[: owner.entries.index(entry)]}
    assert set(re.findall(r"\{link:([^}]+)\}", entry.content)) <= earlier


def test_links_are_filled_with_escaped_permalinks() -> None:
    filled = with_links('<a href="{link:About}">x</a>', {"About": "http://127.0.0.1:1/s/?page_id=2&x=1"})
    assert filled == '<a href="http://127.0.0.1:1/s/?page_id=2&amp;x=1">x</a>'


def test_menus_name_entries_or_categories_of_their_own_template_and_the_front_template_is_balanced() -> None:
    for builtin in BUILTINS:
        titles = {e.title for e in builtin.entries}
        categories = {c for e in builtin.entries for c in e.categories}
        for item in builtin.menu:
            kind, _, name = item.partition(":")
            assert (kind == "home" and name) or (kind == "category" and name in categories) or item in titles
    assert _balanced(FRONT_PAGE_TEMPLATE) and "wp:post-title" not in FRONT_PAGE_TEMPLATE


def test_an_archive_built_from_another_recipe_is_not_current() -> None:
    record = {"slug": "business", "checksum": "ab" * 32, "recipe": recipe_of("business")}
    assert is_current(record)
    assert not is_current({**record, "recipe": None})  # built before recipes were recorded
    assert not is_current({**record, "recipe": recipe_of("blog")})
    assert not is_current({**record, "checksum": None})
    assert recipe_of("business") != recipe_of("blog") and recipe_of("nope") is None
