"""Plugin and theme drift between the declared state of a site and what WordPress reports (no I/O)."""

from __future__ import annotations

from typing import Any

from bbws.sites.drift import compare

THEMES = [
    {"theme": "twentytwentythree", "name": "Twenty Twenty-Three", "version": "1.0", "active": True},
    {"theme": "twentytwentyone", "name": "Twenty Twenty-One", "version": "1.7", "active": False},
]


def plugin(slug: str, version: str = "1.0", active: bool = True) -> dict[str, Any]:
    return {"plugin": f"{slug}/{slug}.php", "slug": slug, "name": slug.title(), "version": version, "active": active}


def declare(theme: str | None = None, **plugins: tuple[str, bool]) -> dict[str, Any]:
    return {
        "plugins": {
            slug: {"pluginId": f"plg_{slug}", "version": version, "active": active, "config": {}}
            for slug, (version, active) in plugins.items()
        },
        "theme": theme,
    }


def issues(found: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    return [(item["kind"], item["slug"], item["issue"]) for item in found]


def test_a_site_as_declared_has_no_drift() -> None:
    declared = declare("twentytwentythree", forms=("2.1", True), seo=("3.0", False))
    actual = [plugin("forms", "2.1"), plugin("seo", "3.0", active=False), plugin("akismet", "5.0.2", active=False)]
    assert compare(declared, actual, THEMES) == []


def test_nothing_declared_counts_only_active_plugins() -> None:
    actual = [plugin("akismet", "5.0.2", active=False), plugin("hello", "1.7.2", active=False), plugin("spam")]
    for declared in ({}, None, {"plugins": {}, "theme": None}):
        assert compare(declared, actual, THEMES) == [
            {
                "kind": "plugin",
                "slug": "spam",
                "issue": "unexpected",
                "declared": None,
                "actual": {"version": "1.0", "active": True},
            }
        ]
    assert compare({}, actual[:2], THEMES) == []


def test_missing_plugin_and_the_declared_state_it_should_have() -> None:
    found = compare(declare(forms=("2.1", True)), [], THEMES)
    assert found == [
        {
            "kind": "plugin",
            "slug": "forms",
            "issue": "missing",
            "declared": {"version": "2.1", "active": True},
            "actual": None,
        }
    ]


def test_version_and_activation_differences_are_separate_items() -> None:
    declared = declare(forms=("2.1", True), seo=("3.0", False), cache=("1.0", True))
    actual = [plugin("forms", "2.0", active=False), plugin("seo", "3.0", active=True), plugin("cache", "1.0")]
    found = compare(declared, actual, THEMES)
    assert issues(found) == [
        ("plugin", "forms", "version"),
        ("plugin", "forms", "inactive"),
        ("plugin", "seo", "active"),
    ]
    assert found[0]["declared"] == "2.1" and found[0]["actual"] == "2.0"
    assert (found[1]["declared"], found[1]["actual"]) == (True, False)
    assert (found[2]["declared"], found[2]["actual"]) == (False, True)


def test_a_declared_plugin_without_a_version_or_state_accepts_any() -> None:
    declared = {"plugins": {"forms": {"pluginId": "plg_forms", "version": None, "config": {}}}, "theme": None}
    assert compare(declared, [plugin("forms", "9.9", active=False)], THEMES) == []


def test_theme_drift_other_theme_active_or_declared_theme_absent() -> None:
    assert compare(declare("twentytwentythree"), [], THEMES) == []
    assert compare(declare("twentytwentyone"), [], THEMES) == [
        {
            "kind": "theme",
            "slug": "twentytwentyone",
            "issue": "theme",
            "declared": "twentytwentyone",
            "actual": "twentytwentythree",
        }
    ]
    assert compare(declare("business"), [], THEMES) == [
        {"kind": "theme", "slug": "business", "issue": "missing", "declared": "business", "actual": "twentytwentythree"}
    ]


def test_items_are_in_a_stable_order_plugins_by_slug_then_the_theme() -> None:
    declared = declare("twentytwentyone", zeta=("1.0", True), alpha=("1.0", True))
    found = compare(declared, [plugin("mid")], THEMES)
    assert issues(found) == [
        ("plugin", "alpha", "missing"),
        ("plugin", "mid", "unexpected"),
        ("plugin", "zeta", "missing"),
        ("theme", "twentytwentyone", "theme"),
    ]
