"""Plugin and theme drift: where what WordPress reports differs from what the site record declares (no I/O).

Each item is `{"kind": "plugin"|"theme", "slug", "issue", "declared", "actual"}`:
- `missing`: declared but not installed (plugin: declared `{version, active}`, actual None; theme: declared slug,
  actual the active theme);
- `unexpected`: an active plugin nobody declared (declared None, actual `{version, active}`); inactive
  undeclared plugins are not drift, since WordPress ships some (Akismet, Hello Dolly) and they run no code;
- `version`: the installed version is not the declared one (both version strings);
- `inactive` / `active`: the plugin is installed but its state is the opposite of the declared one (booleans);
- `theme`: the declared theme is installed but another one is active (declared slug, actual active slug).
"""

from __future__ import annotations

from typing import Any

DriftItem = dict[str, Any]


def compare(
    declared: dict[str, Any] | None, plugins: list[dict[str, Any]], themes: list[dict[str, Any]]
) -> list[DriftItem]:
    """Drift between the declared plugins/theme and what the admin commands `plugins` and `themes` returned."""
    declared = declared or {}
    items = _plugin_drift(declared.get("plugins") or {}, plugins)
    theme = declared.get("theme")
    if theme:
        items.extend(_theme_drift(theme, themes))
    return items


def _item(kind: str, slug: str, issue: str, declared: Any, actual: Any) -> DriftItem:
    return {"kind": kind, "slug": slug, "issue": issue, "declared": declared, "actual": actual}


def _state(plugin: dict[str, Any]) -> dict[str, Any]:
    return {"version": plugin.get("version"), "active": bool(plugin.get("active"))}


def _plugin_drift(declared: dict[str, dict[str, Any]], plugins: list[dict[str, Any]]) -> list[DriftItem]:
    installed = {str(p["slug"]): p for p in plugins}
    items: list[DriftItem] = []
    for slug in sorted(set(declared) | set(installed)):
        want, have = declared.get(slug), installed.get(slug)
        if want is None:
            if have is not None and have.get("active"):
                items.append(_item("plugin", slug, "unexpected", None, _state(have)))
            continue
        if have is None:
            items.append(_item("plugin", slug, "missing", _state(want), None))
            continue
        if want.get("version") and str(want["version"]) != str(have.get("version")):
            items.append(_item("plugin", slug, "version", want["version"], have.get("version")))
        active = want.get("active")
        if active is not None and bool(active) != bool(have.get("active")):
            items.append(_item("plugin", slug, "inactive" if active else "active", bool(active), not active))
    return items


def _theme_drift(declared: str, themes: list[dict[str, Any]]) -> list[DriftItem]:
    active = next((str(t["theme"]) for t in themes if t.get("active")), None)
    if declared == active:
        return []
    issue = "theme" if any(t["theme"] == declared for t in themes) else "missing"
    return [_item("theme", declared, issue, declared, active)]
