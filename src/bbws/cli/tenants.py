"""`bbws tenants`: create, list, show, and the lifecycle actions (over HTTP)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bbws.cli.common import (
    DEFAULT_URL,
    TIMEOUT,
    AsJson,
    DataDir,
    NoWait,
    Reason,
    Token,
    Url,
    connect,
    record,
    show_list,
    started,
)

tenants_app = typer.Typer(help="Tenants: create, list, show, and their lifecycle (over HTTP).", no_args_is_help=True)
TENANT_COLUMNS = ("tenantId", "organizationName", "status", "tier", "createdAt")


@tenants_app.command("create")
def tenants_create(
    name: Annotated[str, typer.Option("--name", help="Organization name (unique).")],
    email: Annotated[str, typer.Option("--email", help="Contact email.")],
    tier: Annotated[str | None, typer.Option(help="STANDARD, PROFESSIONAL or ENTERPRISE.")] = None,
    url: Url = DEFAULT_URL,
    token: Token = None,
    data_dir: DataDir = None,
    as_json: AsJson = False,
) -> None:
    """Create a tenant."""
    with connect(url, token, data_dir) as client:
        record(client.create_tenant(name, email, tier=tier.upper() if tier else None), as_json)


@tenants_app.command("list")
def tenants_list(
    status: Annotated[str | None, typer.Option(help="Only tenants in this status.")] = None,
    tier: Annotated[str | None, typer.Option(help="Only tenants of this tier.")] = None,
    all_pages: Annotated[bool, typer.Option("--all", help="Every page, not only the first.")] = False,
    page_size: Annotated[int, typer.Option(min=1, max=100, help="Tenants per page.")] = 20,
    url: Url = DEFAULT_URL,
    token: Token = None,
    data_dir: DataDir = None,
    as_json: AsJson = False,
) -> None:
    """List tenants (those you can see)."""
    status, tier = (status.upper() if status else None), (tier.upper() if tier else None)
    with connect(url, token, data_dir) as client:
        show_list(
            lambda: client.iter_tenants(status=status, tier=tier),
            lambda: client.list_tenants(status=status, tier=tier, page_size=page_size),
            TENANT_COLUMNS,
            all_pages=all_pages,
            as_json=as_json,
        )


@tenants_app.command("get")
def tenants_get(
    tenant_id: str, url: Url = DEFAULT_URL, token: Token = None, data_dir: DataDir = None, as_json: AsJson = False
) -> None:
    """Show a tenant."""
    with connect(url, token, data_dir) as client:
        record(client.get_tenant(tenant_id), as_json)


def _lifecycle(
    action: str,
    tenant_id: str,
    reason: str | None,
    *,
    url: str,
    token: str | None,
    data_dir: Path | None,
    no_wait: bool,
    as_json: bool,
    timeout: float,
) -> None:
    with connect(url, token, data_dir) as client:
        operation = client.lifecycle(tenant_id, action, reason=reason)
        started(client, operation, no_wait=no_wait, as_json=as_json, timeout=timeout)


def _lifecycle_command(action: str, doc: str, *, needs_reason: bool) -> None:
    """Register `bbws tenants <action>`: start the action, then wait with the bar (or `--no-wait`)."""
    if needs_reason:

        def with_reason(
            tenant_id: str,
            reason: Reason,
            url: Url = DEFAULT_URL,
            token: Token = None,
            data_dir: DataDir = None,
            no_wait: NoWait = False,
            as_json: AsJson = False,
            timeout: TIMEOUT = 600.0,
        ) -> None:
            _lifecycle(
                action,
                tenant_id,
                reason,
                url=url,
                token=token,
                data_dir=data_dir,
                no_wait=no_wait,
                as_json=as_json,
                timeout=timeout,
            )

        with_reason.__doc__ = doc
        tenants_app.command(action)(with_reason)
        return

    def without_reason(
        tenant_id: str,
        url: Url = DEFAULT_URL,
        token: Token = None,
        data_dir: DataDir = None,
        no_wait: NoWait = False,
        as_json: AsJson = False,
        timeout: TIMEOUT = 600.0,
    ) -> None:
        _lifecycle(
            action,
            tenant_id,
            None,
            url=url,
            token=token,
            data_dir=data_dir,
            no_wait=no_wait,
            as_json=as_json,
            timeout=timeout,
        )

    without_reason.__doc__ = doc
    tenants_app.command(action)(without_reason)


for _action, _doc, _reason in (
    ("park", "Park a tenant (ACTIVE -> PARKED): instances stop, data is kept.", True),
    ("unpark", "Unpark a tenant (PARKED -> ACTIVE).", False),
    ("suspend", "Suspend a tenant (ACTIVE -> SUSPENDED).", True),
    ("resume", "Resume a suspended tenant (SUSPENDED -> ACTIVE).", False),
    ("retry", "Retry a failed onboarding (FAILED -> PENDING).", False),
    ("delete", "Deprovision a tenant (soft delete; data is kept for the retention period).", False),
):
    _lifecycle_command(_action, _doc, needs_reason=_reason)


