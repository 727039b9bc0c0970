"""`bbws instances`: a tenant's WordPress runtime per environment, over HTTP like the other client commands."""

from __future__ import annotations

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
    err,
    literal,
    out,
    print_json,
    record,
    started,
    table,
)
from bbws.client.api import BbwsClient

instances_app = typer.Typer(
    help="Instances: the WordPress runtime of a tenant per environment (create, stop, start, scale, delete).",
    no_args_is_help=True,
)
INSTANCE_COLUMNS = ("instanceId", "environment", "status", "url", "desiredCount", "runningCount", "wordpressVersion")
Tenant = Annotated[str, typer.Option("--tenant", help="Tenant id (ten_...).")]
Env = Annotated[str, typer.Option("--env", help="dev, sit or prod.")]


def _instance(client: BbwsClient, tenant: str, env: str) -> dict[str, Any]:
    found = client.find_instance(tenant, env)
    if found is None:
        err.print(f"[red]error:[/red] tenant {literal(tenant)} has no instance in {literal(env)}.", highlight=False)
        raise typer.Exit(1)
    return found


def _then_show(client: BbwsClient, op: dict[str, Any], tenant: str, env: str, **how: Any) -> None:
    """Wait for the operation like every long command, then show where the instance answers."""
    started(client, op, **how)
    if not how["no_wait"] and not how["as_json"]:
        item = client.find_instance(tenant, env)
        if item is not None and item.get("url") and item["status"] == "ACTIVE":
            out.print(f"Instance {item['instanceId']} answers at {item['url']}", markup=False)


@instances_app.command("create")
def instances_create(
    tenant: Tenant,
    env: Env,
    workers: Annotated[int | None, typer.Option("--workers", min=1, max=10, help="PHP workers (default 2).")] = None,
    wordpress: Annotated[str | None, typer.Option("--wordpress", help="WordPress version (default newest).")] = None,
    php: Annotated[str | None, typer.Option("--php", help="PHP version (default newest).")] = None,
    no_wait: NoWait = False,
    timeout: TIMEOUT = 600.0,
    url: Url = DEFAULT_URL,
    token: Token = None,
    data_dir: DataDir = None,
    as_json: AsJson = False,
) -> None:
    """Provision a tenant's instance for one environment and wait until it answers."""
    with connect(url, token, data_dir) as client:
        op = client.create_instance(tenant, env, desiredCount=workers, wordpressVersion=wordpress, phpVersion=php)
        _then_show(client, op, tenant, env, no_wait=no_wait, as_json=as_json, timeout=timeout)


@instances_app.command("list")
def instances_list(
    tenant: Tenant, url: Url = DEFAULT_URL, token: Token = None, data_dir: DataDir = None, as_json: AsJson = False
) -> None:
    """The tenant's instances (one per environment at most)."""
    with connect(url, token, data_dir) as client:
        items = client.list_instances(tenant)
        print_json(items) if as_json else table(items, INSTANCE_COLUMNS)


@instances_app.command("get")
def instances_get(
    tenant: Tenant, env: Env, url: Url = DEFAULT_URL, token: Token = None, data_dir: DataDir = None,
    as_json: AsJson = False,
) -> None:
    """One instance, with what was made for it."""
    with connect(url, token, data_dir) as client:
        record(_instance(client, tenant, env), as_json)


@instances_app.command("status")
def instances_status(
    tenant: Tenant, env: Env, url: Url = DEFAULT_URL, token: Token = None, data_dir: DataDir = None,
    as_json: AsJson = False,
) -> None:
    """Workers running now and whether the instance answers."""
    with connect(url, token, data_dir) as client:
        item = _instance(client, tenant, env)
        record(client.instance_status(tenant, item["instanceId"]), as_json)


def _action(name: str, doc: str) -> None:
    def command(
        tenant: Tenant, env: Env, no_wait: NoWait = False, timeout: TIMEOUT = 600.0, url: Url = DEFAULT_URL,
        token: Token = None, data_dir: DataDir = None, as_json: AsJson = False,
    ) -> None:
        with connect(url, token, data_dir) as client:
            iid = _instance(client, tenant, env)["instanceId"]
            calls = {"stop": client.stop_instance, "start": client.start_instance, "delete": client.delete_instance}
            op = calls[name](tenant, iid)
            _then_show(client, op, tenant, env, no_wait=no_wait, as_json=as_json, timeout=timeout)

    command.__doc__ = doc
    instances_app.command(name)(command)


_action("stop", "Stop the instance: it and its sites stop answering (SUSPENDED).")
_action("start", "Start a stopped instance again.")
_action("delete", "Export each site, then remove the instance's databases, files and processes.")


@instances_app.command("scale")
def instances_scale(
    tenant: Tenant,
    env: Env,
    workers: Annotated[int, typer.Option("--workers", min=1, max=10, help="PHP workers (1..10).")],
    no_wait: NoWait = False,
    timeout: TIMEOUT = 600.0,
    url: Url = DEFAULT_URL,
    token: Token = None,
    data_dir: DataDir = None,
    as_json: AsJson = False,
) -> None:
    """Change the number of PHP workers."""
    with connect(url, token, data_dir) as client:
        iid = _instance(client, tenant, env)["instanceId"]
        op = client.scale_instance(tenant, iid, workers)
        _then_show(client, op, tenant, env, no_wait=no_wait, as_json=as_json, timeout=timeout)
