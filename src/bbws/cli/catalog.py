"""`bbws templates` and `bbws plugins`: what the catalogs offer."""

from __future__ import annotations

from typing import Annotated

import typer

from bbws.cli.common import DEFAULT_URL, AsJson, DataDir, Token, Url, connect, print_json, table

templates_app = typer.Typer(help="Site templates (published ones; platform admins see all).", no_args_is_help=True)
plugins_app = typer.Typer(help="The plugin and theme catalog.", no_args_is_help=True)


@templates_app.command("list")
def templates_list(
    url: Url = DEFAULT_URL, token: Token = None, data_dir: DataDir = None, as_json: AsJson = False
) -> None:
    """Templates a site can be created from."""
    with connect(url, token, data_dir) as client:
        items = client.list_templates()
        print_json(items) if as_json else table(items, ("templateId", "slug", "name", "category", "version"))


@plugins_app.command("list")
def plugins_list(
    kind: Annotated[str | None, typer.Option("--kind", help="plugin or theme.")] = None,
    url: Url = DEFAULT_URL,
    token: Token = None,
    data_dir: DataDir = None,
    as_json: AsJson = False,
) -> None:
    """The approved plugins and themes."""
    with connect(url, token, data_dir) as client:
        items = client.list_plugins(kind=kind)
        print_json(items) if as_json else table(items, ("pluginId", "kind", "slug", "version", "name"))
