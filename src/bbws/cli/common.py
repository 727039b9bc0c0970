"""What every `bbws` command shares: options, settings, the connection to a server, and how results are printed."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from bbws.client.api import BbwsClient, BbwsError, OperationTimeout, agent
from bbws.core.settings import Settings, SettingsError

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

Url = Annotated[
    str,
    typer.Option(
        "--url",
        envvar="BBWS_URL",
        help="The BBWS server.",
        show_default="http://$BBWS_HOST:$BBWS_PORT",
    ),
]
DEFAULT_URL = ""  # no --url and no BBWS_URL: connect() finds the server where `bbws serve` listens
ANY_ADDRESS = {"0.0.0.0", "::", ""}  # a server bound to every address is reached on loopback
Token = Annotated[
    str | None,
    typer.Option("--token", envvar="BBWS_TOKEN", help="Bearer token (default: the data dir's admin-token file)."),
]
DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Where state and the admin-token file live (env BBWS_DATA_DIR).",
                 show_default=False),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
NoWait = Annotated[bool, typer.Option("--no-wait", help="Print the operation id and return at once.")]
Reason = Annotated[str, typer.Option("--reason", help="Why (10 to 500 characters).")]
TIMEOUT = Annotated[float, typer.Option("--timeout", help="Seconds to wait for the operation.")]


def load_settings(**overrides: Any) -> Settings:
    """The settings of every command; a refused `BBWS_*` value is one line and exit status 2, not a traceback."""
    try:
        return Settings.load(**overrides)
    except SettingsError as exc:
        err.print(f"error: {exc}", markup=False, highlight=False)
        raise typer.Exit(2) from None


def server_url() -> str:
    """Where `bbws serve` on this machine listens by BBWS_HOST and BBWS_PORT (an any-address host is reached on
    loopback), for commands given neither --url nor BBWS_URL."""
    settings = load_settings()
    host = "127.0.0.1" if settings.host in ANY_ADDRESS else settings.host
    return f"http://{f'[{host}]' if ':' in host else host}:{settings.port}"


def literal(value: Any) -> str:
    """Server-provided text for a rich console: square brackets print as themselves, never as markup."""
    return escape("" if value is None else str(value))


def saved_token(data_dir: Path | None) -> str | None:
    """The platform-admin token `bbws serve` keeps in its data dir, if this machine has one."""
    base = data_dir or load_settings().data_dir
    path = base / "admin-token"
    return path.read_text().strip() if path.is_file() else None


@contextmanager
def connect(url: str, token: str | None, data_dir: Path | None) -> Iterator[BbwsClient]:
    """A client; an error answer becomes a one-line message and exit status 1."""
    try:
        with BbwsClient(url or server_url(), token or saved_token(data_dir), user_agent=agent("bbws-cli")) as client:
            yield client
    except BbwsError as exc:
        err.print(f"[red]error:[/red] {literal(exc.code)}: {literal(exc.detail)}", highlight=False)
        if exc.hint:
            err.print(f"next: {exc.hint}", markup=False, highlight=False)
        if exc.status == 401:
            err.print("Pass --token, set BBWS_TOKEN, or point --data-dir at the server's data dir.")
        raise typer.Exit(1) from exc
    except OperationTimeout as exc:
        err.print(f"[red]error:[/red] {literal(exc)}", highlight=False)
        raise typer.Exit(1) from exc


def print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False))


def cell(value: Any, width: int = 60) -> str:
    text = "" if value is None else str(value)
    return literal(text if len(text) <= width else text[: width - 1] + "…")


def table(rows: list[dict[str, Any]], columns: tuple[str, ...], *, more: bool = False) -> None:
    grid = Table(*columns)
    for row in rows:
        grid.add_row(*(cell(row.get(c)) for c in columns))
    out.print(grid)
    if more:
        out.print("More are available: add --all.")


def record(item: dict[str, Any], as_json: bool) -> None:
    """One resource: JSON, or a two-column table without its links."""
    if as_json:
        print_json(item)
        return
    grid = Table("field", "value", show_header=False)
    for key, value in item.items():
        if key != "_links":
            grid.add_row(key, cell(json.dumps(value) if isinstance(value, dict | list) else value, 100))
    out.print(grid)


def _label(op: dict[str, Any]) -> str:
    return literal(f"{op['operationType']} {op['status']}: {op.get('message') or ''}")


def follow(client: BbwsClient, operation: dict[str, Any], *, as_json: bool, timeout: float | None = None) -> None:
    """A progress bar until the operation finishes; exit 0 when it COMPLETED, 1 otherwise."""
    final = operation
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=err,
    ) as bar:
        task = bar.add_task(_label(operation), total=100, completed=operation.get("progress", 0))
        for op in client.watch(operation["operationId"], timeout=timeout):
            final = op
            bar.update(task, completed=op.get("progress", 0), description=_label(op))
    finished(final, as_json=as_json)


def finished(op: dict[str, Any], *, as_json: bool) -> None:
    if as_json:
        print_json(op)
    else:
        colour = "green" if op["status"] == "COMPLETED" else "red"
        message = literal(op.get("message"))
        out.print(f"Operation {literal(op['operationId'])} [{colour}]{literal(op['status'])}[/{colour}]: {message}")
        if op.get("result"):
            out.print_json(data={k: v for k, v in op["result"].items() if k != "_links"})
        if op.get("error"):
            problem = op["error"]
            out.print(f"[red]{literal(problem.get('code'))}[/red]: {literal(problem.get('detail'))}", highlight=False)
    if op["status"] != "COMPLETED":
        raise typer.Exit(1)


def started(client: BbwsClient, operation: dict[str, Any], *, no_wait: bool, as_json: bool, timeout: float) -> None:
    """What every command that starts long work does next: wait with the bar, or print the operation id."""
    if no_wait:
        if as_json:
            print_json(operation)
        else:
            print(operation["operationId"])
        return
    follow(client, operation, as_json=as_json, timeout=timeout)


def show_list(
    every: Callable[[], Iterable[dict[str, Any]]],
    first: Callable[[], dict[str, Any]],
    columns: Any,
    *,
    all_pages: bool,
    as_json: bool,
) -> None:
    """Print a list command's rows: every page (`--all`) or the first, as a table or as JSON."""
    if all_pages:
        rows, more = list(every()), False
    else:
        page = first()
        rows, more = page["items"], page["moreAvailable"]
    if as_json:
        print_json(rows)
    else:
        table(rows, columns, more=more)
