"""`bbws operations`: show, watch, cancel and list long-running operations."""

from __future__ import annotations

from typing import Annotated

import typer

from bbws.cli.common import (
    DEFAULT_URL,
    TIMEOUT,
    AsJson,
    DataDir,
    Token,
    Url,
    connect,
    follow,
    print_json,
    record,
    table,
)

operations_app = typer.Typer(help="Long-running operations: show, watch, cancel, list.", no_args_is_help=True)


@operations_app.command("watch")
def operations_watch(
    operation_id: str,
    url: Url = DEFAULT_URL,
    token: Token = None,
    data_dir: DataDir = None,
    as_json: AsJson = False,
    timeout: TIMEOUT = 600.0,
) -> None:
    """Follow an operation with a progress bar; exit 0 when it COMPLETED, 1 when it FAILED or was CANCELLED."""
    with connect(url, token, data_dir) as client:
        follow(client, client.get_operation(operation_id), as_json=as_json, timeout=timeout)


@operations_app.command("get")
def operations_get(
    operation_id: str, url: Url = DEFAULT_URL, token: Token = None, data_dir: DataDir = None, as_json: AsJson = False
) -> None:
    """Show an operation."""
    with connect(url, token, data_dir) as client:
        record(client.get_operation(operation_id), as_json)


@operations_app.command("cancel")
def operations_cancel(
    operation_id: str, url: Url = DEFAULT_URL, token: Token = None, data_dir: DataDir = None, as_json: AsJson = False
) -> None:
    """Cancel an operation that has not started yet."""
    with connect(url, token, data_dir) as client:
        record(client.cancel_operation(operation_id), as_json)


@operations_app.command("list")
def operations_list(
    tenant_id: str,
    status: Annotated[str | None, typer.Option(help="Only operations in this status.")] = None,
    operation_type: Annotated[str | None, typer.Option("--type", help="Only this type, e.g. TENANT_PARK.")] = None,
    page_size: Annotated[int, typer.Option(min=1, max=100, help="Operations to show.")] = 20,
    url: Url = DEFAULT_URL,
    token: Token = None,
    data_dir: DataDir = None,
    as_json: AsJson = False,
) -> None:
    """A tenant's operations, newest first."""
    with connect(url, token, data_dir) as client:
        page = client.list_operations(
            tenant_id, status=status.upper() if status else None, operation_type=operation_type, page_size=page_size
        )
    if as_json:
        print_json(page["items"])
    else:
        columns = ("operationId", "operationType", "status", "progress", "message", "createdAt")
        table(page["items"], columns)
