"""Point-in-time restore of an environment's table into a new table, and the switch-over to it.

DynamoDB restores only into a new table, and that table comes without the source's streams, TTL, PITR and
deletion protection; the steps printed after the restore say what to set before the functions use it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from botocore.exceptions import ClientError

from bbws.aws.release import ALIAS, Aws, Environment, ReleaseError, wait_updated

TABLE_SETTING = "BBWS_DYNAMODB_TABLE"
ACTIVE_TIMEOUT_SECONDS = 3600.0  # a large table takes a long time to restore; DynamoDB gives no estimate


@dataclass(frozen=True)
class Restored:
    source: str
    table: str
    to_time: datetime
    functions: tuple[str, ...]

    def steps(self, *, switched: bool = False) -> list[str]:
        """What an operator does to move the environment onto the restored table (`switched`: `switch` ran)."""
        names = ", ".join(self.functions)
        settle = [
            f"Enable on {self.table} what a restore does not carry over: point-in-time recovery, the stream "
            "(NEW_AND_OLD_IMAGES), TTL on `ttl`, and deletion protection in prod.",
            f"Point the outbox relay's stream event source mapping at {self.table}'s stream.",
        ]
        move = [
            f"Set {TABLE_SETTING}={self.table} on the functions ({names}), publish a version and move `{ALIAS}` "
            "(`bbws aws restore-table ... --switch` does this step)."
        ]
        keep = [
            f"Give the environment's Terraform the table name {self.table} (infra/terraform/envs/) and import the "
            "table into its state, so the next apply keeps the switch instead of reverting it."
        ]
        return settle + ([] if switched else move) + keep


def parse_time(text: str) -> datetime:
    """ISO 8601 (`2026-05-01T10:30:00Z`); a time without a zone is taken as UTC."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise ReleaseError(f"{text!r} is not an ISO 8601 time such as 2026-05-01T10:30:00Z") from exc
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def restore_table(*, aws: Aws, env: Environment, to_time: datetime, log: Callable[[str], None]) -> Restored:
    """Restore `env`'s table as it was at `to_time` into `<table>-restored-<timestamp>`; wait until ACTIVE."""
    target = f"{env.table}-restored-{to_time.astimezone(UTC):%Y%m%d%H%M%S}"
    try:
        aws.dynamodb.restore_table_to_point_in_time(
            SourceTableName=env.table, TargetTableName=target, RestoreDateTime=to_time
        )
    except ClientError as exc:
        raise ReleaseError(f"DynamoDB refused to restore {env.table} to {to_time.isoformat()}: {exc}") from exc
    log(f"restoring {env.table} at {to_time.isoformat()} into {target}")
    _wait_active(aws, target)
    log(f"{target} is ACTIVE")
    return Restored(source=env.table, table=target, to_time=to_time,
                    functions=tuple(env.function(short) for short in env.functions))


def switch(*, aws: Aws, restored: Restored, log: Callable[[str], None]) -> None:
    """Set each function's table setting to the restored table, publish a version and move `live` to it."""
    client = aws.lambda_
    for name in restored.functions:
        config = client.get_function_configuration(FunctionName=name)
        variables = {**config.get("Environment", {}).get("Variables", {}), TABLE_SETTING: restored.table}
        client.update_function_configuration(FunctionName=name, Environment={"Variables": variables})
        wait_updated(client, name)
        version = client.publish_version(
            FunctionName=name, Description=f"table {restored.table} (restored to {restored.to_time.isoformat()})"
        )["Version"]
        client.update_alias(FunctionName=name, Name=ALIAS, FunctionVersion=version)
        log(f"{name}: {TABLE_SETTING}={restored.table}, live -> {version}")


def _wait_active(aws: Aws, table: str) -> None:
    deadline = time.monotonic() + ACTIVE_TIMEOUT_SECONDS
    while (status := aws.dynamodb.describe_table(TableName=table)["Table"]["TableStatus"]) != "ACTIVE":
        if time.monotonic() > deadline:
            raise ReleaseError(f"{table} is still {status} after {ACTIVE_TIMEOUT_SECONDS:.0f} s")
        time.sleep(10)
