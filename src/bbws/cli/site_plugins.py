"""`bbws sites plugins`: a site's plugins and themes; each change is an operation the command waits for."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from bbws.cli.common import (
    DEFAULT_URL,
    TIMEOUT,
    AsJson,
    DataDir,
    NoWait,
    Token,
    Url,
    connect,
    print_json,
    started,
    table,
)
from bbws.cli.sites import Env, Site, Subdomain, Tenant, _site_id

site_plugins_app = typer.Typer(
    help="A site's plugins and themes: list, install, activate, deactivate, configure, update, remove.",
    no_args_is_help=True,
)
Slug = Annotated[str, typer.Argument(help="The plugin's or theme's folder name (e.g. bbws-hello).")]
Kind = Annotated[str, typer.Option("--kind", help="plugin or theme.")]


def _row(item: dict[str, Any]) -> dict[str, Any]:
    declared, actual = item.get("declared") or {}, item.get("actual") or {}
    return {
        "kind": item["kind"],
        "slug": item["slug"],
        "declared": declared.get("version"),
        "actual": actual.get("version"),
        "active": actual.get("active"),
        "inSync": item["inSync"],
    }


@site_plugins_app.command("list")
def plugins_list(
    tenant: Tenant,
    site: Site = None,
    env: Env = None,
    subdomain: Subdomain = None,
    url: Url = DEFAULT_URL,
    token: Token = None,
    data_dir: DataDir = None,
    as_json: AsJson = False,
) -> None:
    """What the platform declared and what WordPress reports, side by side, and the drift."""
    with connect(url, token, data_dir) as client:
        listed = client.list_site_plugins(tenant, _site_id(client, tenant, site, env, subdomain))
        if as_json:
            print_json(listed)
            return
        table([_row(i) for i in listed["items"]], ("kind", "slug", "declared", "actual", "active", "inSync"))


@site_plugins_app.command("install")
def plugins_install(
    tenant: Tenant,
    slug: Annotated[str | None, typer.Option("--slug", help="Catalog slug (the newest version unless --version).")]
    = None,
    plugin_id: Annotated[str | None, typer.Option("--plugin-id", help="One catalog entry (plg_...).")] = None,
    version: Annotated[str | None, typer.Option("--version", help="Catalog version (with --slug).")] = None,
    kind: Kind = "plugin",
    activate: Annotated[bool, typer.Option("--activate/--no-activate", help="Activate it (a theme: switch).")] = True,
    site: Site = None,
    env: Env = None,
    subdomain: Subdomain = None,
    no_wait: NoWait = False,
    timeout: TIMEOUT = 600.0,
    url: Url = DEFAULT_URL,
    token: Token = None,
    data_dir: DataDir = None,
    as_json: AsJson = False,
) -> None:
    """Install a catalog plugin or theme on the site and wait until WordPress has it."""
    if (slug is None) == (plugin_id is None):
        raise typer.BadParameter("name the package with --slug or with --plugin-id")
    with connect(url, token, data_dir) as client:
        op = client.install_site_plugin(
            tenant,
            _site_id(client, tenant, site, env, subdomain),
            plugin_id=plugin_id,
            slug=slug,
            kind=kind,
            version=version,
            activate=activate,
        )
        started(client, op, no_wait=no_wait, as_json=as_json, timeout=timeout)


def _status(active: bool, doc: str) -> None:
    def command(
        tenant: Tenant,
        slug: Slug,
        kind: Kind = "plugin",
        site: Site = None,
        env: Env = None,
        subdomain: Subdomain = None,
        no_wait: NoWait = False,
        timeout: TIMEOUT = 600.0,
        url: Url = DEFAULT_URL,
        token: Token = None,
        data_dir: DataDir = None,
        as_json: AsJson = False,
    ) -> None:
        with connect(url, token, data_dir) as client:
            site_id = _site_id(client, tenant, site, env, subdomain)
            op = client.set_site_plugin_status(tenant, site_id, slug, active=active, kind=kind)
            started(client, op, no_wait=no_wait, as_json=as_json, timeout=timeout)

    command.__doc__ = doc
    site_plugins_app.command("activate" if active else "deactivate")(command)


_status(True, "Activate a plugin, or switch the site to a theme.")
_status(False, "Deactivate a plugin.")


def _option(text: str) -> tuple[str, Any]:
    """`name=value`: the value as JSON when it is JSON (1, true, null deletes the option), else as text."""
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise typer.BadParameter(f"{text!r}: use name=value")
    try:
        return name, json.loads(value)
    except ValueError:
        return name, value


@site_plugins_app.command("configure")
def plugins_configure(
    tenant: Tenant,
    slug: Slug,
    option: Annotated[list[str], typer.Option("--set", help="name=value (JSON or text; null deletes); repeat.")],
    kind: Kind = "plugin",
    site: Site = None,
    env: Env = None,
    subdomain: Subdomain = None,
    no_wait: NoWait = False,
    timeout: TIMEOUT = 600.0,
    url: Url = DEFAULT_URL,
    token: Token = None,
    data_dir: DataDir = None,
    as_json: AsJson = False,
) -> None:
    """Write WordPress options of the plugin or theme (WordPress's own options are refused)."""
    options = dict(_option(o) for o in option)
    with connect(url, token, data_dir) as client:
        op = client.configure_site_plugin(
            tenant, _site_id(client, tenant, site, env, subdomain), slug, options, kind=kind
        )
        started(client, op, no_wait=no_wait, as_json=as_json, timeout=timeout)


@site_plugins_app.command("update")
def plugins_update(
    tenant: Tenant,
    slug: Slug,
    version: Annotated[str | None, typer.Option("--version", help="Catalog version (default the newest).")] = None,
    plugin_id: Annotated[str | None, typer.Option("--plugin-id", help="One catalog entry (plg_...).")] = None,
    kind: Kind = "plugin",
    site: Site = None,
    env: Env = None,
    subdomain: Subdomain = None,
    no_wait: NoWait = False,
    timeout: TIMEOUT = 600.0,
    url: Url = DEFAULT_URL,
    token: Token = None,
    data_dir: DataDir = None,
    as_json: AsJson = False,
) -> None:
    """Move the plugin or theme to another catalog version, keeping its active state."""
    with connect(url, token, data_dir) as client:
        site_id = _site_id(client, tenant, site, env, subdomain)
        op = client.update_site_plugin(tenant, site_id, slug, version=version, plugin_id=plugin_id, kind=kind)
        started(client, op, no_wait=no_wait, as_json=as_json, timeout=timeout)


@site_plugins_app.command("remove")
def plugins_remove(
    tenant: Tenant,
    slug: Slug,
    kind: Kind = "plugin",
    site: Site = None,
    env: Env = None,
    subdomain: Subdomain = None,
    no_wait: NoWait = False,
    timeout: TIMEOUT = 600.0,
    url: Url = DEFAULT_URL,
    token: Token = None,
    data_dir: DataDir = None,
    as_json: AsJson = False,
) -> None:
    """Deactivate and remove the plugin or theme (the site's active theme cannot be removed)."""
    with connect(url, token, data_dir) as client:
        op = client.remove_site_plugin(tenant, _site_id(client, tenant, site, env, subdomain), slug, kind=kind)
        started(client, op, no_wait=no_wait, as_json=as_json, timeout=timeout)
