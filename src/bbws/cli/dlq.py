"""`bbws dlq`: the dead-letter queue tools for platform admins, over HTTP like the other client commands."""

from __future__ import annotations

from typing import Annotated

import typer

from bbws.cli.common import DEFAULT_URL, AsJson, DataDir, Token, Url, connect, err, out, record, show_list

DLQ_COLUMNS = ("messageId", "job", "tenantId", "operationId", "receives", "lastError", "deadAt")

dlq_app = typer.Typer(help="The dead-letter queue (platform admins): list, show, redrive, purge.", no_args_is_help=True)


# -- dead-letter queue
@dlq_app.command("list")
def dlq_list(
    all_pages: Annotated[bool, typer.Option("--all", help="Every page, not only the first.")] = False,
    page_size: Annotated[int, typer.Option(min=1, max=100, help="Dead letters per page.")] = 20,
    url: Url = DEFAULT_URL,
    token: Token = None,
    data_dir: DataDir = None,
    as_json: AsJson = False,
) -> None:
    """Jobs that failed on every try, with the last error and the number of tries."""
    with connect(url, token, data_dir) as client:
        show_list(
            client.iter_dead_letters,
            lambda: client.list_dead_letters(page_size=page_size),
            DLQ_COLUMNS,
            all_pages=all_pages,
            as_json=as_json,
        )


@dlq_app.command("show")
def dlq_show(
    message_id: str, url: Url = DEFAULT_URL, token: Token = None, data_dir: DataDir = None, as_json: AsJson = False
) -> None:
    """One dead letter, with the job's payload."""
    with connect(url, token, data_dir) as client:
        record(client.get_dead_letter(message_id), as_json)


def _targets(message_ids: list[str] | None, all_of_them: bool, verb: str) -> list[str] | None:
    if message_ids and all_of_them:
        raise typer.BadParameter(f"name the jobs to {verb} or pass --all, not both")
    if not message_ids and not all_of_them:
        raise typer.BadParameter(f"name the jobs to {verb} (message ids), or pass --all")
    return list(message_ids) if message_ids else None


@dlq_app.command("redrive")
def dlq_redrive(
    message_ids: Annotated[list[str] | None, typer.Argument(help="Message ids of the jobs.")] = None,
    all_of_them: Annotated[bool, typer.Option("--all", help="Every dead letter.")] = False,
    url: Url = DEFAULT_URL,
    token: Token = None,
    data_dir: DataDir = None,
) -> None:
    """Put dead letters back on the queue; their failed operations run again."""
    targets = _targets(message_ids, all_of_them, "redrive")
    with connect(url, token, data_dir) as client:
        count = client.redrive_dead_letters(targets)
    out.print(f"Redriven: {count}")


@dlq_app.command("purge")
def dlq_purge(
    message_ids: Annotated[list[str] | None, typer.Argument(help="Message ids of the jobs.")] = None,
    all_of_them: Annotated[bool, typer.Option("--all", help="Every dead letter.")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    url: Url = DEFAULT_URL,
    token: Token = None,
    data_dir: DataDir = None,
) -> None:
    """Delete dead letters for good (asks first unless --yes)."""
    targets = _targets(message_ids, all_of_them, "purge")
    what = "EVERY dead letter" if targets is None else f"{len(targets)} dead letter(s)"
    if not yes and not typer.confirm(f"Delete {what} for good?", default=False, err=True):
        err.print("Nothing deleted.")
        raise typer.Exit(1)
    with connect(url, token, data_dir) as client:
        count = client.purge_dead_letters(targets)
    out.print(f"Purged: {count}")
