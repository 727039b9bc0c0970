"""The `bbws` command: serve, worker, token, store, mail, openapi, and the client commands."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from bbws.cli.aws import aws_app
from bbws.cli.catalog import plugins_app, templates_app
from bbws.cli.common import DataDir, literal, load_settings
from bbws.cli.dlq import dlq_app
from bbws.cli.instances import instances_app
from bbws.cli.operations import operations_app
from bbws.cli.site_plugins import site_plugins_app
from bbws.cli.sites import sites_app
from bbws.cli.tenants import tenants_app
from bbws.core.settings import Settings

app = typer.Typer(help="BBWS: control plane for multi-tenant WordPress hosting.", no_args_is_help=True)
token_app = typer.Typer(help="Issue tokens from the built-in issuer.", no_args_is_help=True)
store_app = typer.Typer(help="Manage the item store.", no_args_is_help=True)
mail_app = typer.Typer(help="Read mail captured by the local mailer.", no_args_is_help=True)
app.add_typer(token_app, name="token")
app.add_typer(store_app, name="store")
app.add_typer(mail_app, name="mail")
app.add_typer(tenants_app, name="tenants")
app.add_typer(operations_app, name="operations")
app.add_typer(dlq_app, name="dlq")
app.add_typer(instances_app, name="instances")
app.add_typer(sites_app, name="sites")
sites_app.add_typer(site_plugins_app, name="plugins")
app.add_typer(templates_app, name="templates")
app.add_typer(plugins_app, name="plugins")
app.add_typer(aws_app, name="aws")
out = Console(soft_wrap=True)

PLATFORM_ROLE_GROUPS = {"ADMIN": "platform-admin", "OPERATOR": "platform-operator", "VIEWER": "platform-viewer"}
ADMIN_TOKEN_TTL = 30 * 86_400

def settings_for(data_dir: Path | None = None, **overrides: object) -> Settings:
    if data_dir is not None:
        os.environ["BBWS_DATA_DIR"] = str(data_dir)
    return load_settings(**{k: v for k, v in overrides.items() if v is not None})


def parse_ttl(text: str) -> int:
    """`3600`, `90m`, `12h`, `30d` -> seconds."""
    match = re.fullmatch(r"(\d+)([smhd]?)", text.strip())
    if not match or int(match.group(1)) <= 0:
        raise typer.BadParameter("use a positive number of seconds, or a number with s, m, h or d")
    return int(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86_400}[match.group(2)]


def ensure_admin_token(settings: Settings) -> tuple[str, bool]:
    """The saved platform-admin token (0600 file); minted on first start or when it has expired."""
    import jwt

    from bbws.app import admin_token_path
    from bbws.core.files import write_private
    from bbws.core.issuer import LocalIssuer

    path = admin_token_path(settings.data_dir)
    issuer = LocalIssuer.load_or_create(settings.data_dir, issuer=settings.issuer, audience=settings.audience)
    if path.exists():
        token = path.read_text().strip()
        try:
            jwt.decode(token, issuer._key.public_key(), algorithms=["RS256"], audience=settings.audience)
            return token, False
        except jwt.PyJWTError:
            pass
    token = issuer.mint("platform-admin", groups=["platform-admin"], ttl_seconds=ADMIN_TOKEN_TTL)
    write_private(path, token.encode())
    return token, True


def secure_data_dir(settings: Settings) -> None:
    """Create the data dir owner-only, or repair an existing one's modes, saying so once when it did."""
    from bbws.core.files import prepare_data_dir

    repaired = prepare_data_dir(settings.data_dir)
    if repaired:
        out.print(
            f"Repaired the modes of {repaired} files and folders in {settings.data_dir} "
            "(group and others had access; now 0600 files and 0700 folders).",
            highlight=False,
            markup=False,
        )


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    data_dir: DataDir = None,
    worker: Annotated[bool, typer.Option("--worker/--no-worker", help="Run a job worker in this process too.")] = True,
) -> None:
    """Run the API server on embedded defaults (SQLite in the data dir, built-in token issuer)."""
    import uvicorn

    from bbws.app import create_app

    settings = settings_for(data_dir, host=host, port=port, run_worker=None if worker else False)
    secure_data_dir(settings)
    application = create_app(settings)
    base = settings.base_url
    out.print(f"[bold]BBWS API[/bold] listening on {base}  (store: {settings.store}, data: {settings.data_dir})")
    out.print(f"Interactive docs: {base}/docs   OpenAPI: {base}/openapi.json")
    if settings.jwks_url is None:
        token, created = ensure_admin_token(settings)
        from bbws.app import admin_token_path

        if created:
            out.print("Platform-admin token (shown once; saved with mode 0600):")
            out.print(token, soft_wrap=True, highlight=False)
        out.print(f"Admin token file: {admin_token_path(settings.data_dir)}")
        out.print("More tokens: bbws token create --sub alice --role ADMIN [--tenant ten_...]")
    from bbws.instances.runtime import missing_for

    for line in missing_for(settings):  # the API still serves; instance operations fail until this is installed
        out.print(f"[yellow]Instances cannot run on this machine yet:[/yellow] {line}", soft_wrap=True)
    uvicorn.run(application, host=settings.host, port=settings.port, log_config=None, access_log=False)


@app.command("worker")
def worker_command(
    data_dir: DataDir = None,
    concurrency: Annotated[int, typer.Option(min=1, max=32, help="Jobs to run at the same time.")] = 1,
) -> None:
    """Run job workers in the foreground (no API). SIGTERM or Ctrl-C stops them after the jobs in hand."""
    from bbws.app import build_container
    from bbws.cli.workers import run_workers
    from bbws.core import logs
    from bbws.instances.runtime import start_runtime_in_background, stop_runtime

    settings = settings_for(data_dir)
    logs.configure(settings.log_level)
    secure_data_dir(settings)
    container = build_container(settings)
    # The process running jobs owns the instances' processes; it brings them back while it already takes jobs.
    start_runtime_in_background(container)
    try:
        run_workers(container, concurrency=concurrency)
    finally:
        stop_runtime(container)


@token_app.command("create")
def token_create(
    sub: Annotated[str, typer.Option(help="The token's subject (user id).")],
    role: Annotated[str, typer.Option(help="ADMIN, OPERATOR or VIEWER.")],
    tenant: Annotated[str | None, typer.Option(help="Grant the role in this tenant instead of platform-wide.")] = None,
    scope: Annotated[
        str | None, typer.Option(help='Narrowing scopes, e.g. "tenant:ten_x env:dev sites:write".')
    ] = None,
    ttl: Annotated[str, typer.Option(help="Lifetime: seconds, or 90m, 12h, 30d.")] = "1h",
    email: Annotated[str | None, typer.Option(help="An email claim for the token.")] = None,
    data_dir: DataDir = None,
) -> None:
    """Issue a token; the token is the last word printed."""
    from bbws.app import build_container
    from bbws.core.authorizer import TENANT_ROLES
    from bbws.core.changes import Actor
    from bbws.core.errors import ApiError
    from bbws.tenants.roles import grant_role
    from bbws.tenants.service import get_tenant

    role = role.upper()
    if role not in TENANT_ROLES:
        raise typer.BadParameter("role must be ADMIN, OPERATOR or VIEWER", param_hint="--role")
    seconds = parse_ttl(ttl)
    container = build_container(settings_for(data_dir))
    if container.issuer is None:
        raise typer.BadParameter("this server uses an external issuer (BBWS_JWKS_URL); mint tokens there")
    groups: list[str] = []
    if tenant:
        try:
            get_tenant(store=container.store, tenant_id=tenant)
        except ApiError as error:
            raise typer.BadParameter(error.detail, param_hint="--tenant") from error
        grant_role(
            store=container.store,
            clock=container.clock,
            actor=Actor.system("cli"),
            tenant_id=tenant,
            user_id=sub,
            role=role,
            email=email,
        )
        out.print(f"{sub} is {role} of {tenant}.", highlight=False)
    else:
        groups = [PLATFORM_ROLE_GROUPS[role]]
    token = container.issuer.mint(sub, groups=groups, scope=scope, email=email, ttl_seconds=seconds)
    print(token)


@store_app.command("init")
def store_init(data_dir: DataDir = None) -> None:
    """Create the table and its indexes (DynamoDB with BBWS_STORE=dynamodb; SQLite otherwise)."""
    from bbws.app import build_store

    settings = settings_for(data_dir)
    secure_data_dir(settings)
    build_store(settings).ensure_schema()
    where = settings.dynamodb_table if settings.store == "dynamodb" else str(settings.sqlite_path)
    out.print(f"Store ready: {settings.store} {where}")


@mail_app.command("list")
def mail_list(data_dir: DataDir = None, full: Annotated[bool, typer.Option(help="Print bodies too.")] = False) -> None:
    """Messages the platform sent (invitations and notices), oldest first."""
    from bbws.core.mail import FileMailer

    settings = settings_for(data_dir)
    messages = FileMailer(settings.data_dir / "mail").messages()
    if full:
        for m in messages:
            heading, text = literal(f"{m.sentAt}  to {m.to}"), literal(f"Subject: {m.subject}\n\n{m.body}\n")
            out.print(f"[bold]{heading}[/bold]\n{text}", highlight=False)
        return
    table = Table("sent", "to", "subject", "id")
    for m in messages:
        table.add_row(*(literal(value) for value in (m.sentAt, m.to, m.subject, m.messageId)))
    out.print(table)


openapi_app = typer.Typer(help="The OpenAPI 3.0.3 files, exported from the code.", no_args_is_help=True)
app.add_typer(openapi_app, name="openapi")


@openapi_app.command("export")
def openapi_export(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder of the YAML files.")] = Path("openapi"),
    check: Annotated[bool, typer.Option("--check", help="Write nothing; exit 1 if a file differs from the code.")] = (
        False
    ),
) -> None:
    """Export one YAML file per API area plus bbws-api.yaml (built on a throwaway data dir)."""
    from bbws.openapi import exported_files, stale_files, write

    try:
        files = exported_files()
    except (RuntimeError, ValueError) as exc:  # a missing dev tool, or a route the export cannot place
        out.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(2) from exc
    if check:
        stale = stale_files(out_dir, files)
        for name in stale:
            out.print(f"{out_dir / name} differs from the code", highlight=False)
        if stale:
            out.print("Run `bbws openapi export` and commit the files.")
            raise typer.Exit(1)
        out.print(f"{len(files)} OpenAPI files in {out_dir} match the code.", highlight=False)
        return
    touched = write(out_dir, files)
    for name in touched:
        out.print(f"{'wrote' if name in files else 'removed'} {out_dir / name}", highlight=False)
    out.print(f"{len(files)} OpenAPI files in {out_dir}; {len(touched)} changed.", highlight=False)


queue_app = typer.Typer(help="The SQS job queue (BBWS_QUEUE=sqs).", no_args_is_help=True)
app.add_typer(queue_app, name="queue")


@queue_app.command("init")
def queue_init(data_dir: DataDir = None) -> None:
    """Create the SQS queue `bbws-jobs-{env}` and its DLQ with the redrive policy; print the settings to use."""
    import boto3

    from bbws.jobs.sqs_queue import create_queues

    settings = settings_for(data_dir)
    client = boto3.client("sqs", region_name=settings.aws_region, endpoint_url=settings.aws_endpoint_url)
    url, dlq_url = create_queues(client, "bbws-jobs", settings.environment)
    print(f"BBWS_SQS_QUEUE_URL={url}")
    print(f"BBWS_SQS_DLQ_URL={dlq_url}")


if __name__ == "__main__":
    app()
