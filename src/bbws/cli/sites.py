"""`bbws sites`, `bbws templates`, `bbws plugins`: WordPress sites over HTTP like the other client commands."""

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

sites_app = typer.Typer(
    help="Sites: create, clone, back up, restore, promote DEV -> SIT -> PROD, health.", no_args_is_help=True
)
SITE_COLUMNS = ("siteId", "environment", "subdomain", "status", "healthStatus", "url")
Tenant = Annotated[str, typer.Option("--tenant", help="Tenant id (ten_...).")]
Env = Annotated[str | None, typer.Option("--env", help="dev, sit or prod (with --subdomain).")]
Site = Annotated[str | None, typer.Option("--site", help="Site id (site_...), or use --env and --subdomain.")]
Subdomain = Annotated[str | None, typer.Option("--subdomain", help="The site's subdomain (with --env).")]


def _site_id(client: BbwsClient, tenant: str, site: str | None, env: str | None, subdomain: str | None) -> str:
    if site:
        return site
    if env and subdomain:
        found = client.find_site(tenant, env, subdomain)
        if found is not None:
            return str(found["siteId"])
        err.print(f"[red]error:[/red] tenant {literal(tenant)} has no site {literal(subdomain)} in {literal(env)}.",
                  highlight=False)
        raise typer.Exit(1)
    err.print("[red]error:[/red] name the site with --site, or with --env and --subdomain.", highlight=False)
    raise typer.Exit(2)


def _then_show(client: BbwsClient, op: dict[str, Any], tenant: str, **how: Any) -> None:
    """Wait like every long command, then say where the site it made or changed answers."""
    started(client, op, **how)
    if how["no_wait"] or how["as_json"]:
        return
    result = client.get_operation(op["operationId"]).get("result") or {}
    site = client.get_site(tenant, result.get("targetSiteId") or result.get("siteId") or op["resourceId"])
    if site.get("url") and site["status"] == "ACTIVE":
        out.print(f"Site {site['siteId']} ({site['environment']}) answers at {site['url']}", markup=False)


@sites_app.command("create")
def sites_create(
    tenant: Tenant,
    env: Annotated[str, typer.Option("--env", help="dev, sit or prod.")],
    name: Annotated[str, typer.Option("--name", help="The site's title.")],
    subdomain: Annotated[str, typer.Option("--subdomain", help="A DNS label, unique in the environment.")],
    template: Annotated[str | None, typer.Option("--template", help="Template slug or id (e.g. business).")] = None,
    plugin: Annotated[list[str] | None, typer.Option("--plugin", help="Catalog plugin slug[@version]; repeat.")] = None,
    team: Annotated[str | None, typer.Option("--team", help="Team (or group/division) id owning the site.")] = None,
    no_wait: NoWait = False,
    timeout: TIMEOUT = 600.0,
    url: Url = DEFAULT_URL,
    token: Token = None,
    data_dir: DataDir = None,
    as_json: AsJson = False,
) -> None:
    """Create a site in the tenant's instance for ENV and wait until it answers."""
    with connect(url, token, data_dir) as client:
        op = client.create_site(
            tenant,
            site_name=name,
            subdomain=subdomain,
            environment=env,
            template=template,
            plugins=plugin,
            team_id=team,
        )
        _then_show(client, op, tenant, no_wait=no_wait, as_json=as_json, timeout=timeout)


@sites_app.command("list")
def sites_list(
    tenant: Tenant,
    env: Annotated[str | None, typer.Option("--env", help="Only this environment.")] = None,
    status: Annotated[str | None, typer.Option("--status", help="Only this status.")] = None,
    url: Url = DEFAULT_URL,
    token: Token = None,
    data_dir: DataDir = None,
    as_json: AsJson = False,
) -> None:
    """The tenant's sites."""
    with connect(url, token, data_dir) as client:
        items = client.list_sites(tenant, environment=env, status=status)
        print_json(items) if as_json else table(items, SITE_COLUMNS)


@sites_app.command("get")
def sites_get(
    tenant: Tenant,
    site: Site = None,
    env: Env = None,
    subdomain: Subdomain = None,
    url: Url = DEFAULT_URL,
    token: Token = None,
    data_dir: DataDir = None,
    as_json: AsJson = False,
) -> None:
    """One site."""
    with connect(url, token, data_dir) as client:
        record(client.get_site(tenant, _site_id(client, tenant, site, env, subdomain)), as_json)


@sites_app.command("health")
def sites_health(
    tenant: Tenant,
    site: Site = None,
    env: Env = None,
    subdomain: Subdomain = None,
    url: Url = DEFAULT_URL,
    token: Token = None,
    data_dir: DataDir = None,
    as_json: AsJson = False,
    now: Annotated[
        bool, typer.Option("--now", help="Check the site now and record the result (OPERATOR or above).")
    ] = False,
) -> None:
    """The site's latest recorded health check (pages, database, versions, Site Health, drift); --now checks."""
    with connect(url, token, data_dir) as client:
        site_id = _site_id(client, tenant, site, env, subdomain)
        report = client.check_site_health(tenant, site_id) if now else client.site_health(tenant, site_id)
        if as_json:
            print_json(report)
            return
        if report.get("checkedAt") is None:
            out.print(f"{report['healthStatus']}: {report.get('detail') or 'not checked yet'}", markup=False)
            return
        out.print(f"{report['healthStatus']} at {report.get('checkedAt')}", markup=False)
        table(report.get("checks", []), ("name", "status", "httpStatus", "latencyMs", "detail"))


def _action(name: str, doc: str) -> None:
    def command(
        tenant: Tenant,
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
            calls = {
                "suspend": lambda: client.set_site_status(tenant, site_id, "suspend"),
                "activate": lambda: client.set_site_status(tenant, site_id, "activate"),
                "backup": lambda: client.backup_site(tenant, site_id),
                "delete": lambda: client.delete_site(tenant, site_id),
            }
            started(client, calls[name](), no_wait=no_wait, as_json=as_json, timeout=timeout)

    command.__doc__ = doc
    sites_app.command(name)(command)


_action("suspend", "Suspend the site: it answers 503 with a maintenance page.")
_action("activate", "Serve a suspended site again.")
_action("backup", "Back the site up (database and wp-content, with a checksum).")
_action("delete", "Back the site up, then remove it.")


@sites_app.command("clone")
def sites_clone(
    tenant: Tenant,
    to_subdomain: Annotated[str, typer.Option("--to-subdomain", help="The copy's subdomain.")],
    name: Annotated[str, typer.Option("--name", help="The copy's title.")],
    site: Site = None,
    env: Env = None,
    subdomain: Subdomain = None,
    to_env: Annotated[str | None, typer.Option("--to-env", help="The copy's environment (default the same).")] = None,
    no_wait: NoWait = False,
    timeout: TIMEOUT = 600.0,
    url: Url = DEFAULT_URL,
    token: Token = None,
    data_dir: DataDir = None,
    as_json: AsJson = False,
) -> None:
    """Copy a site (content, files, theme, plugins) to a new subdomain."""
    with connect(url, token, data_dir) as client:
        op = client.clone_site(
            tenant,
            _site_id(client, tenant, site, env, subdomain),
            subdomain=to_subdomain,
            site_name=name,
            environment=to_env,
        )
        _then_show(client, op, tenant, no_wait=no_wait, as_json=as_json, timeout=timeout)


@sites_app.command("promote")
def sites_promote(
    tenant: Tenant,
    to: Annotated[str, typer.Option("--to", help="sit or prod.")],
    site: Site = None,
    env: Env = None,
    subdomain: Subdomain = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the plan only.")] = False,
    no_wait: NoWait = False,
    timeout: TIMEOUT = 900.0,
    url: Url = DEFAULT_URL,
    token: Token = None,
    data_dir: DataDir = None,
    as_json: AsJson = False,
) -> None:
    """Promote DEV -> SIT or SIT -> PROD (backup, copy, health gate, automatic rollback)."""
    with connect(url, token, data_dir) as client:
        answer = client.promote_site(tenant, _site_id(client, tenant, site, env, subdomain), to, dry_run=dry_run)
        if dry_run:
            _show_plan(answer, as_json)
            if not answer.get("ready", True):
                raise typer.Exit(1)
            return
        _then_show(client, answer, tenant, no_wait=no_wait, as_json=as_json, timeout=timeout)


def _show_plan(plan: dict[str, Any], as_json: bool) -> None:
    """The dry run: what stands in the way (with the next step), else what the promotion would change."""
    if as_json:
        print_json(plan)
        return
    where = f"{plan['sourceEnvironment']} -> {plan['targetEnvironment']}"
    if plan.get("blockers"):
        out.print(f"Promotion {where} would be refused:", markup=False, highlight=False)
        for blocker in plan["blockers"]:
            out.print(f"  {blocker['code']}: {blocker['detail']}", markup=False, highlight=False)
            if blocker.get("hint"):
                out.print(f"    next: {blocker['hint']}", markup=False, highlight=False)
    else:
        target = plan.get("targetSiteId") or "a new site"
        out.print(f"Promotion {where} is ready; it would copy the site over {target}.", markup=False)
    if plan.get("tables") is not None:
        changed = [t["table"] for t in plan["tables"] if t["changed"]]
        files = plan["files"]
        out.print(
            f"Tables changed: {len(changed)} of {len(plan['tables'])}; files: {files['added']} added, "
            f"{files['changed']} changed, {files['removed']} removed; plugins: {len(plan['plugins'])} changes.",
            markup=False,
            highlight=False,
        )
    gate = plan.get("healthGate") or {}
    if gate.get("required"):
        passed = "passed" if gate.get("passed") else "not passed"
        out.print(f"Health gate: {passed} ({gate.get('detail')})", markup=False, highlight=False)


@sites_app.command("restore")
def sites_restore(
    tenant: Tenant,
    backup: Annotated[str, typer.Option("--backup", help="Backup id (bak_...).")],
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
    """Restore one of the site's backups (checksum and content verified)."""
    with connect(url, token, data_dir) as client:
        op = client.restore_site(tenant, _site_id(client, tenant, site, env, subdomain), backup)
        started(client, op, no_wait=no_wait, as_json=as_json, timeout=timeout)


@sites_app.command("backups")
def sites_backups(
    tenant: Tenant,
    site: Site = None,
    env: Env = None,
    subdomain: Subdomain = None,
    url: Url = DEFAULT_URL,
    token: Token = None,
    data_dir: DataDir = None,
    as_json: AsJson = False,
) -> None:
    """The site's backups, newest first."""
    with connect(url, token, data_dir) as client:
        items = client.list_backups(tenant, _site_id(client, tenant, site, env, subdomain))
        print_json(items) if as_json else table(items, ("backupId", "status", "reason", "size", "createdAt"))
