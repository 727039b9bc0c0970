"""Rules of a site's plugins (no I/O): the declared state, which options a configuration may write, drift views."""

from __future__ import annotations

from typing import Any

from bbws.core.errors import UnprocessableEntity
from bbws.plugins.models import PLUGIN, THEME
from bbws.sites.drift import compare

__all__ = ["PLUGIN", "THEME"]

# WordPress's own options (wp-admin/includes/schema.php populate_options, plus what core adds later): a plugin's
# configuration must not move the site (siteurl, home), switch code on (active_plugins, template) or hand out
# roles (default_role, wp_user_roles).
_CORE_OPTION_NAMES = """
siteurl home blogname blogdescription users_can_register admin_email start_of_week use_smilies require_name_email
comments_notify posts_per_rss rss_use_excerpt mailserver_url mailserver_login mailserver_pass mailserver_port
default_category default_comment_status default_ping_status default_pingback_flag posts_per_page date_format
time_format links_updated_date_format comment_moderation moderation_notify permalink_structure rewrite_rules
hack_file blog_charset moderation_keys active_plugins category_base ping_sites comment_max_links gmt_offset
default_email_category recently_edited template stylesheet comment_registration html_type use_trackback default_role
db_version uploads_use_yearmonth_folders upload_path blog_public default_link_category show_on_front tag_base
show_avatars avatar_rating upload_url_path thumbnail_size_w thumbnail_size_h thumbnail_crop medium_size_w
medium_size_h avatar_default large_size_w large_size_h image_default_link_type image_default_size
image_default_align close_comments_for_old_posts close_comments_days_old thread_comments thread_comments_depth
page_comments comments_per_page default_comments_page comment_order sticky_posts uninstall_plugins timezone_string
page_for_posts page_on_front default_post_format link_manager_enabled finished_splitting_shared_terms site_icon
medium_large_size_w medium_large_size_h show_comments_cookies_opt_in admin_email_lifespan disallowed_keys
comment_previously_approved auto_plugin_theme_update_emails auto_update_core_dev auto_update_core_minor
auto_update_core_major initial_db_version cron recently_activated fresh_site can_compress_scripts db_upgraded
auth_key auth_salt logged_in_key logged_in_salt nonce_key nonce_salt secure_auth_key secure_auth_salt
active_sitewide_plugins allowedthemes site_admins users user_count current_theme theme_switched
"""
CORE_OPTIONS = frozenset(_CORE_OPTION_NAMES.split())
CORE_PREFIXES = ("wp_", "widget_", "theme_mods_", "auto_update_", "_")


def refused_option(name: str, *, kind: str, slug: str) -> str | None:
    """Why a configuration may not write option `name` (None when it may)."""
    if kind == THEME and name == f"theme_mods_{slug}":
        return None  # a theme's own settings (the Customizer's) live there
    if name in CORE_OPTIONS or name.startswith(CORE_PREFIXES) or name.endswith("user_roles"):
        return f"{name} is one of WordPress's own options"
    return None


def check_options(options: dict[str, Any], *, kind: str, slug: str) -> None:
    errors = [
        {"field": f"options.{n}", "message": why} for n in options if (why := refused_option(n, kind=kind, slug=slug))
    ]
    if errors:
        raise UnprocessableEntity(
            "A plugin's configuration may not write WordPress's own options: "
            + ", ".join(e["field"].removeprefix("options.") for e in errors)
            + ".",
            code="SITE_001",
            errors=errors,
        )


# -- the declared state ----------------------------------------------------------------------------------------
def declared_entry(entry: dict[str, Any], *, active: bool) -> dict[str, Any]:
    """What a site record declares for a catalog entry it installed."""
    return {
        "pluginId": entry["pluginId"],
        "name": entry.get("name"),
        "version": entry["pluginVersion"],
        "active": active,
        "config": {},
    }


def declared_of(declared: dict[str, Any] | None, kind: str, slug: str) -> dict[str, Any] | None:
    """The declared entry of a package; a theme declared only as the site's theme (from a template) counts too."""
    declared = declared or {}
    if kind == PLUGIN:
        return (declared.get("plugins") or {}).get(slug)
    entry = (declared.get("themes") or {}).get(slug)
    if entry is None and declared.get("theme") == slug:
        entry = {"pluginId": None, "version": None, "config": {}}
    if entry is not None:
        entry = {**entry, "active": declared.get("theme") == slug}
    return entry


def with_declared(
    declared: dict[str, Any] | None, *, kind: str, slug: str, value: dict[str, Any] | None
) -> dict[str, Any]:
    """A copy of `declared` with the package set to `value` (None: removed). Plugins live in `plugins`; themes in
    `themes` (every theme the platform installed) with the active one in `theme`."""
    out = dict(declared or {})
    out.setdefault("plugins", {})
    out.setdefault("theme", None)
    if kind == PLUGIN:
        plugins = dict(out["plugins"])
        if value is None:
            plugins.pop(slug, None)
        else:
            plugins[slug] = value
        out["plugins"] = plugins
        return out
    themes = dict(out.get("themes") or {})
    if value is None:
        themes.pop(slug, None)
        if out["theme"] == slug:
            out["theme"] = None
    else:
        if value.get("active"):
            out["theme"] = slug
        elif out["theme"] == slug:
            value = {**value, "active": True}  # the site's theme stays active until another one is switched to
        themes[slug] = value
    out["themes"] = {s: {**t, "active": s == out["theme"]} for s, t in themes.items()}
    return out


# -- drift and the list ----------------------------------------------------------------------------------------
def drift_of(
    declared: dict[str, Any] | None, plugins: list[dict[str, Any]], themes: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """`drift.compare` plus the installed themes the site declares besides its active one."""
    items = compare(declared, plugins, themes)
    seen = {(i["kind"], i["slug"]) for i in items}
    actual = {str(t["theme"]): t for t in themes}
    for slug, want in sorted(((declared or {}).get("themes") or {}).items()):
        have = actual.get(slug)
        if (THEME, slug) in seen:
            continue
        if have is None:
            items.append(
                {"kind": THEME, "slug": slug, "issue": "missing", "declared": want.get("version"), "actual": None}
            )
        elif want.get("version") and str(want["version"]) != str(have.get("version")):
            items.append(
                {
                    "kind": THEME,
                    "slug": slug,
                    "issue": "version",
                    "declared": want["version"],
                    "actual": have.get("version"),
                }
            )
    return items


def site_items(
    declared: dict[str, Any] | None, plugins: list[dict[str, Any]], themes: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every plugin and theme that is declared or that WordPress reports, each with both views; and the drift."""
    drift = drift_of(declared, plugins, themes)
    off = {(d["kind"], d["slug"]) for d in drift}
    declared = declared or {}
    items: list[dict[str, Any]] = []
    for kind, reported, names in (
        (PLUGIN, {str(p["slug"]): p for p in plugins}, set(declared.get("plugins") or {})),
        (
            THEME,
            {str(t["theme"]): t for t in themes},
            set(declared.get("themes") or {}) | ({declared["theme"]} if declared.get("theme") else set()),
        ),
    ):
        for slug in sorted(names | set(reported)):
            items.append(
                item_of(
                    kind, slug, declared_of(declared, kind, slug), reported.get(slug), in_sync=(kind, slug) not in off
                )
            )
    return items, drift


def item_of(
    kind: str, slug: str, want: dict[str, Any] | None, have: dict[str, Any] | None, *, in_sync: bool
) -> dict[str, Any]:
    declared = (
        None
        if want is None
        else {
            "pluginId": want.get("pluginId"),
            "version": want.get("version"),
            "active": bool(want.get("active")),
            "config": want.get("config") or {},
        }
    )
    actual = None if have is None else {"version": have.get("version"), "active": bool(have.get("active"))}
    name = (have or {}).get("name") or (want or {}).get("name")
    return {"kind": kind, "slug": slug, "name": name, "declared": declared, "actual": actual, "inSync": in_sync}
