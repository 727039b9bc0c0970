"""`bbws aws`: build, deploy and operate the control plane on AWS (the logic lives in `bbws.aws`)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

aws_app = typer.Typer(
    help="The control plane on AWS: package the Lambdas, deploy, promote, roll back.", no_args_is_help=True
)
out = Console(soft_wrap=True)


@aws_app.command("package")
def aws_package(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder of the zips and manifest.json.")] = Path("dist/lambda"),
    functions: Annotated[
        list[str] | None, typer.Option("--function", help="Only this function (repeatable); default: all of them.")
    ] = None,
    root: Annotated[
        Path | None, typer.Option("--root", help="Source tree with pyproject.toml and src/bbws; default: this one.")
    ] = None,
    pip_cache: Annotated[Path | None, typer.Option("--pip-cache", help="pip's cache (default: pip's own).")] = None,
) -> None:
    """Build the arm64 dependency layer and the code zip of the Lambdas; print sizes, write manifest.json."""
    from bbws.aws.packaging import PackagingError, build

    try:
        manifest = build(out_dir=out_dir, root=root, functions=functions or None, pip_cache=pip_cache)
    except PackagingError as exc:
        out.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False)  # pip's output has brackets
        raise typer.Exit(1) from exc
    table = Table("artifact", "zipped MB", "unzipped MB", "sha256")
    for name, artifact in manifest["artifacts"].items():
        table.add_row(name, _mb(artifact["zippedBytes"]), _mb(artifact["unzippedBytes"]), artifact["sha256"][:16])
    out.print(table)
    functions_table = Table("function", "handler", "unzipped MB (code + layer)")
    for name, function in manifest["functions"].items():
        functions_table.add_row(name, function["handler"], _mb(function["unzippedBytes"]))
    out.print(functions_table)
    out.print(f"Lambda's unzipped limit is {_mb(manifest['unzippedLimitBytes'])} MB; manifest: {out_dir}/manifest.json")


def _mb(size: int) -> str:
    return f"{size / 1_048_576:.1f}"


# -- releases: deploy, promote, rollback, restore-table, gate (the logic is in bbws.aws.release and .restore)
class EnvName(StrEnum):
    dev = "dev"
    sit = "sit"
    prod = "prod"


EnvOption = Annotated[EnvName, typer.Option("--env", help="The environment.")]
Bucket = Annotated[
    str | None, typer.Option("--bucket", help="The artifacts bucket (default: bbws-artifacts-ENV-ACCOUNT).")
]


@contextmanager
def _release_errors() -> Iterator[None]:
    """A refused or failed release step is one red line and exit status 1, not a traceback."""
    from botocore.exceptions import BotoCoreError, ClientError

    from bbws.aws.release import ReleaseError

    try:
        yield
    except (ReleaseError, ClientError, BotoCoreError) as exc:
        out.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False)
        raise typer.Exit(1) from exc


def _connect() -> Any:
    from bbws.aws.release import Aws
    from bbws.cli.common import load_settings

    settings = load_settings()  # BBWS_AWS_REGION and BBWS_AWS_ENDPOINT_URL, as every other AWS client here
    return Aws.connect(region=settings.aws_region, endpoint_url=settings.aws_endpoint_url)


def _log(line: str) -> None:
    out.print(line, highlight=False, markup=False)


@aws_app.command("deploy")
def aws_deploy(
    env: EnvOption,
    artifacts: Annotated[Path, typer.Option("--artifacts", help="What `bbws aws package` wrote.")] = Path(
        "dist/lambda"
    ),
    bucket: Bucket = None,
) -> None:
    """Upload the artifacts, publish a version of every function, move `live`, smoke-check; move back on failure."""
    from bbws.aws.release import Environment, deploy, invoke_check, load_release, upload

    with _release_errors():
        release = load_release(artifacts=artifacts)
        aws = _connect()
        target = Environment.named(env.value, aws=aws, bucket=bucket)
        upload(aws=aws, env=target, release=release, artifacts=artifacts)
        deploy(aws=aws, env=target, release=release, smoke=invoke_check(aws), log=_log)
    out.print(f"Deployed code sha256 {release.code_sha256} to {env}.", highlight=False)


@aws_app.command("promote")
def aws_promote(
    source: Annotated[EnvName, typer.Option("--from", help="Where it passed.")],
    target: Annotated[EnvName, typer.Option("--to", help="Where it goes.")],
    from_role_arn: Annotated[
        str | None,
        typer.Option("--from-role-arn", help="Read the source through this role (when it is another account)."),
    ] = None,
    from_bucket: Annotated[str | None, typer.Option("--from-bucket", help="The source's artifacts bucket.")] = None,
    to_bucket: Annotated[str | None, typer.Option("--to-bucket", help="The target's artifacts bucket.")] = None,
) -> None:
    """Deploy to --to the exact artifact (by sha256) whose `live` versions passed in --from."""
    from bbws.aws.release import Environment, invoke_check, promote
    from bbws.cli.common import load_settings

    if source == target:
        raise typer.BadParameter("--from and --to name the same environment", param_hint="--to")
    with _release_errors():
        aws = _connect()
        settings = load_settings()
        reader = (
            aws.assume(role_arn=from_role_arn, region=settings.aws_region, endpoint_url=settings.aws_endpoint_url)
            if from_role_arn else aws
        )
        release = promote(
            aws_from=reader, env_from=Environment.named(source.value, aws=reader, bucket=from_bucket),
            aws_to=aws, env_to=Environment.named(target.value, aws=aws, bucket=to_bucket),
            smoke=invoke_check(aws), log=_log,
        )
    out.print(f"Promoted code sha256 {release.code_sha256} from {source} to {target}.", highlight=False)


@aws_app.command("rollback")
def aws_rollback(
    env: EnvOption,
    function: Annotated[str | None, typer.Option("--function", help="Only this function (default: all).")] = None,
    to_version: Annotated[
        str | None, typer.Option("--to-version", help="This version (default: the one before `live`).")
    ] = None,
) -> None:
    """Move `live` back to the previous (or the given) published version."""
    from bbws.aws.release import Environment, rollback

    if to_version is not None and not to_version.isdigit():
        raise typer.BadParameter("a published version is a number", param_hint="--to-version")
    with _release_errors():
        aws = _connect()
        moved = rollback(aws=aws, env=Environment.named(env.value), function=function,
                         to_version=to_version, log=_log)
    out.print(f"Rolled back {len(moved)} function(s) in {env}.", highlight=False)


@aws_app.command("restore-table")
def aws_restore_table(
    env: EnvOption,
    to_time: Annotated[str, typer.Option("--to-time", help="ISO 8601, e.g. 2026-05-01T10:30:00Z (UTC if no zone).")],
    switch_over: Annotated[
        bool, typer.Option("--switch", help="Also point the functions at the restored table and move `live`.")
    ] = False,
) -> None:
    """Restore the env's table as it was at --to-time into a new table; print (or do) the switch-over."""
    from bbws.aws.release import Environment
    from bbws.aws.restore import parse_time, restore_table, switch

    with _release_errors():
        when = parse_time(to_time)
        aws = _connect()
        restored = restore_table(aws=aws, env=Environment.named(env.value), to_time=when, log=_log)
        if switch_over:
            switch(aws=aws, restored=restored, log=_log)
    out.print(f"Restored table: {restored.table}", highlight=False)
    out.print("Switched; still to do:" if switch_over else "Switch-over:", highlight=False)
    for number, step in enumerate(restored.steps(switched=switch_over), start=1):
        out.print(f"  {number}. {step}", highlight=False, markup=False)


@aws_app.command("gate")
def aws_gate(
    env: EnvOption,
    window: Annotated[str, typer.Option("--window", help="How far back: 30m, 1h, 2d.")] = "1h",
) -> None:
    """Pass (exit 0) only if no function of the env had Lambda Errors or Throttles in the window (CloudWatch)."""
    from bbws.aws.release import Environment, gate

    match = re.fullmatch(r"(\d+)([mhd])", window.strip())
    if not match or int(match.group(1)) == 0:
        raise typer.BadParameter("use a positive number of minutes, hours or days: 30m, 1h, 2d", param_hint="--window")
    span = timedelta(minutes=int(match.group(1)) * {"m": 1, "h": 60, "d": 1440}[match.group(2)])
    with _release_errors():
        aws = _connect()
        sums = gate(aws=aws, env=Environment.named(env.value), window=span, now=datetime.now(UTC))
    out.print(f"{env}: no Lambda errors or throttles in the last {window} ({len(sums)} functions).", highlight=False)
