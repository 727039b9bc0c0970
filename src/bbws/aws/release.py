"""Releases of the control plane's Lambdas: deploy an artifact, promote it to the next environment, roll back.

Every step is boto3 against clients the caller passes in (the CLI builds them from settings; tests point them at
moto), so the pipelines only call `bbws aws ...` and hold no logic. A function's `live` alias is what API
Gateway, the queues and the schedules invoke; moving it is the release, and moving it back is the rollback.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from bbws.aws.packaging import CODE_ZIP, FUNCTIONS, LAYER_ZIP, MANIFEST, RUNTIME

ALIAS = "live"
ARTIFACT_TAG = "bbws:artifact-sha256"  # on each function: the code zip its `live` version runs
DEPLOYED_KEY = "releases/deployed.json"  # in the env's bucket: the manifest of the last release that passed
UPDATE_TIMEOUT_SECONDS = 300.0
GATE_METRICS = ("Errors", "Throttles")


class ReleaseError(RuntimeError):
    """A release step failed or was refused; the message says which and what was done about it."""


@dataclass(frozen=True)
class Aws:
    """The boto3 clients of one account and region (built by the caller: no client is made at import time)."""

    lambda_: Any
    s3: Any
    dynamodb: Any = None
    cloudwatch: Any = None
    sts: Any = None

    @classmethod
    def connect(cls, *, region: str, endpoint_url: str | None = None, keys: dict[str, str] | None = None) -> Aws:
        """Clients from the credentials boto3 finds (the pipeline's OIDC role), or from `keys` (assumed role)."""
        import boto3

        keys = keys or {}
        session = boto3.session.Session(
            region_name=region, aws_access_key_id=keys.get("AccessKeyId"),
            aws_secret_access_key=keys.get("SecretAccessKey"), aws_session_token=keys.get("SessionToken"),
        )
        clients = {
            "lambda_" if name == "lambda" else name: session.client(name, endpoint_url=endpoint_url)
            for name in ("lambda", "s3", "dynamodb", "cloudwatch", "sts")
        }
        return cls(**clients)

    def assume(self, *, role_arn: str, region: str, endpoint_url: str | None = None) -> Aws:
        """Clients of another account (an environment's read role, e.g. the source of a promotion)."""
        keys = self.sts.assume_role(RoleArn=role_arn, RoleSessionName="bbws-release")["Credentials"]
        return Aws.connect(region=region, endpoint_url=endpoint_url, keys=keys)


@dataclass(frozen=True)
class Environment:
    """The names Terraform gives one environment's resources (`infra/terraform/modules/control-plane`)."""

    name: str
    bucket: str
    table: str
    functions: tuple[str, ...] = tuple(FUNCTIONS)

    @classmethod
    def named(cls, name: str, *, aws: Aws | None = None, bucket: str | None = None) -> Environment:
        """`name`'s resources; the bucket's name carries the account id of `aws`'s credentials (no `aws` and no
        `bucket`: a command that uses no bucket)."""
        if bucket is None and aws is not None:
            bucket = f"bbws-artifacts-{name}-{aws.sts.get_caller_identity()['Account']}"
        return cls(name=name, bucket=bucket or "", table=f"bbws-{name}")

    def function(self, short: str) -> str:
        if short not in FUNCTIONS:
            raise ReleaseError(f"unknown function {short!r}; known: {', '.join(FUNCTIONS)}")
        return f"bbws-{short}-{self.name}"


@dataclass(frozen=True)
class Release:
    """What is deployed: the code zip and the dependency layer, each by sha256 (from `bbws aws package`)."""

    code_sha256: str
    layer_sha256: str
    manifest: dict[str, Any] = field(compare=False)

    @classmethod
    def from_manifest(cls, manifest: dict[str, Any]) -> Release:
        try:
            artifacts = manifest["artifacts"]
            return cls(artifacts["code"]["sha256"], artifacts["layer"]["sha256"], manifest)
        except (KeyError, TypeError) as exc:
            raise ReleaseError(f"the manifest names no code and layer artifacts ({exc})") from exc

    def key(self, kind: str) -> str:
        """Artifacts are kept by content, so a promoted release is byte for byte the one that passed before."""
        sha = self.code_sha256 if kind == "code" else self.layer_sha256
        return f"artifacts/{sha}/{CODE_ZIP if kind == 'code' else LAYER_ZIP}"


SmokeCheck = Callable[[str, str], None]
"""(function short name, qualified function name `bbws-x-env:live`) -> None, or ReleaseError saying what failed."""


@dataclass(frozen=True)
class Moved:
    function: str
    previous: str
    current: str


def load_release(*, artifacts: Path) -> Release:
    """The release `bbws aws package` wrote into `artifacts` (manifest.json and the zips beside it)."""
    path = artifacts / MANIFEST
    if not path.is_file():
        raise ReleaseError(f"no {MANIFEST} in {artifacts}: run `bbws aws package --out {artifacts}` first")
    release = Release.from_manifest(json.loads(path.read_text()))
    for name in (CODE_ZIP, LAYER_ZIP):
        if not (artifacts / name).is_file():
            raise ReleaseError(f"{artifacts / name} is missing: run `bbws aws package --out {artifacts}` again")
    return release


def upload(*, aws: Aws, env: Environment, release: Release, artifacts: Path) -> None:
    """Put the zips in the env's bucket under their sha256 (skipped when already there)."""
    for kind, name in (("code", CODE_ZIP), ("layer", LAYER_ZIP)):
        if not _exists(aws.s3, env.bucket, release.key(kind)):
            aws.s3.upload_file(str(artifacts / name), env.bucket, release.key(kind))


def deploy(*, aws: Aws, env: Environment, release: Release, smoke: SmokeCheck, log: Callable[[str], None]) -> None:
    """Move every function's `live` to a new version of `release` (already uploaded); smoke-check each; on any
    failure move every function moved so far back and raise."""
    layer_arn = _layer_version(aws=aws, env=env, release=release)
    moved: list[Moved] = []
    try:
        for short in env.functions:
            name = env.function(short)
            step = _roll_out(aws=aws, name=name, bucket=env.bucket, release=release, layer_arn=layer_arn)
            moved.append(step)
            log(f"{name}: live {step.previous} -> {step.current}")
            smoke(short, f"{name}:{ALIAS}")
            log(f"{name}: smoke check passed")
    except (ReleaseError, ClientError, BotoCoreError) as exc:
        for step in reversed(moved):
            aws.lambda_.update_alias(FunctionName=step.function, Name=ALIAS, FunctionVersion=step.previous)
            log(f"{step.function}: live moved back to {step.previous}")
        raise ReleaseError(f"{exc}; rolled back {len(moved)} function(s) to their previous version") from exc
    aws.s3.put_object(Bucket=env.bucket, Key=DEPLOYED_KEY, Body=json.dumps(release.manifest, sort_keys=True).encode())


def promote(*, aws_from: Aws, env_from: Environment, aws_to: Aws, env_to: Environment, smoke: SmokeCheck,
            log: Callable[[str], None]) -> Release:
    """Deploy to `env_to` the artifacts that passed in `env_from`, refusing unless every `live` there runs them."""
    release = deployed_release(aws=aws_from, env=env_from)
    expected = _lambda_sha(release.code_sha256)
    for short in env_from.functions:
        name = env_from.function(short)
        live = aws_from.lambda_.get_function_configuration(FunctionName=name, Qualifier=ALIAS)
        if live["CodeSha256"] != expected:
            raise ReleaseError(
                f"{name}:{ALIAS} does not run the recorded artifact sha256 {release.code_sha256} "
                f"(it runs {_hex_sha(live['CodeSha256'])}); deploy {env_from.name} again before promoting"
            )
    for kind in ("code", "layer"):
        key = release.key(kind)
        if not _exists(aws_to.s3, env_to.bucket, key):
            body = aws_from.s3.get_object(Bucket=env_from.bucket, Key=key)["Body"].read()
            aws_to.s3.put_object(Bucket=env_to.bucket, Key=key, Body=body)
    deploy(aws=aws_to, env=env_to, release=release, smoke=smoke, log=log)
    return release


def deployed_release(*, aws: Aws, env: Environment) -> Release:
    """The release that last passed its smoke checks in `env`."""
    try:
        body = aws.s3.get_object(Bucket=env.bucket, Key=DEPLOYED_KEY)["Body"].read()
    except ClientError as exc:
        raise ReleaseError(f"nothing was deployed to {env.name} yet (no s3://{env.bucket}/{DEPLOYED_KEY})") from exc
    return Release.from_manifest(json.loads(body))


def rollback(*, aws: Aws, env: Environment, function: str | None = None, to_version: str | None = None,
             log: Callable[[str], None]) -> list[Moved]:
    """Move `live` to the version before the current one (or to `to_version`) for one function or all."""
    shorts = [function] if function else list(env.functions)
    plan = []
    for short in shorts:
        name = env.function(short)
        current = aws.lambda_.get_alias(FunctionName=name, Name=ALIAS)["FunctionVersion"]
        versions = _versions(aws.lambda_, name)
        if to_version is not None:
            if to_version not in {str(v) for v in versions}:
                raise ReleaseError(f"{name} has no version {to_version} (versions: {_listed(versions)})")
            target = to_version
        else:
            # `live` on $LATEST (never a release's doing) has every published version before it
            earlier = [v for v in versions if not current.isdigit() or v < int(current)]
            if not earlier:
                raise ReleaseError(f"{name}: live is version {current} and there is no earlier version to go back to")
            target = str(max(earlier))
        plan.append(Moved(function=name, previous=current, current=target))
    for step in plan:  # checked every function first: a refused rollback moves nothing
        aws.lambda_.update_alias(FunctionName=step.function, Name=ALIAS, FunctionVersion=step.current)
        log(f"{step.function}: live {step.previous} -> {step.current}")
    return plan


def invoke_check(aws: Aws) -> SmokeCheck:
    """The default smoke check: invoke the `live` alias with a cheap event and refuse an error answer."""

    def check(short: str, qualified: str) -> None:
        name, alias = qualified.split(":")
        http = FUNCTIONS[short].split(".")[-2].endswith("_http")
        try:
            answer = aws.lambda_.invoke(
                FunctionName=name, Qualifier=alias, Payload=json.dumps(smoke_event(http=http)).encode()
            )
        except ClientError as exc:
            raise ReleaseError(f"smoke check of {qualified}: invoke failed: {exc}") from exc
        payload = answer["Payload"].read().decode(errors="replace")
        if answer.get("FunctionError"):
            raise ReleaseError(f"smoke check of {qualified} failed ({answer['FunctionError']}): {payload[:300]}")
        if http and _status(payload) != 200:
            raise ReleaseError(f"smoke check of {qualified}: GET /healthz answered {payload[:300]}")

    return check


def smoke_event(*, http: bool) -> dict[str, Any]:
    """GET /healthz as API Gateway (HTTP API, payload 2.0) sends it; for a worker an empty batch."""
    if not http:
        return {"Records": []}
    return {
        "version": "2.0", "routeKey": "GET /healthz", "rawPath": "/healthz", "rawQueryString": "",
        "headers": {"host": "smoke.invalid", "user-agent": "bbws-release"},
        "requestContext": {
            "http": {"method": "GET", "path": "/healthz", "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1",
                     "userAgent": "bbws-release"},
            "requestId": "bbws-release-smoke", "routeKey": "GET /healthz", "stage": "$default",
        },
        "isBase64Encoded": False,
    }


def _roll_out(*, aws: Aws, name: str, bucket: str, release: Release, layer_arn: str) -> Moved:
    client = aws.lambda_
    previous = client.get_alias(FunctionName=name, Name=ALIAS)["FunctionVersion"]
    config = client.get_function_configuration(FunctionName=name)
    if [layer["Arn"] for layer in config.get("Layers", [])] != [layer_arn]:
        client.update_function_configuration(FunctionName=name, Layers=[layer_arn])
        wait_updated(client, name)
    client.update_function_code(FunctionName=name, S3Bucket=bucket, S3Key=release.key("code"))
    wait_updated(client, name)
    # Unchanged code and configuration publish nothing new: Lambda answers with the newest version, which is it.
    version = client.publish_version(
        FunctionName=name, Description=f"sha256:{release.code_sha256} layer:{release.layer_sha256[:16]}"
    )["Version"]
    arn = client.get_function_configuration(FunctionName=name)["FunctionArn"]
    client.tag_resource(Resource=arn, Tags={ARTIFACT_TAG: release.code_sha256})
    client.update_alias(FunctionName=name, Name=ALIAS, FunctionVersion=version)
    return Moved(function=name, previous=previous, current=version)


def _layer_version(*, aws: Aws, env: Environment, release: Release) -> str:
    """The layer version holding `release`'s dependencies: an earlier one with the same sha256, or a new one."""
    layer = f"bbws-deps-{env.name}"
    description = f"sha256:{release.layer_sha256}"
    pages = aws.lambda_.get_paginator("list_layer_versions").paginate(LayerName=layer)
    for page in pages:
        for version in page["LayerVersions"]:
            if version.get("Description") == description:
                return str(version["LayerVersionArn"])
    published = aws.lambda_.publish_layer_version(
        LayerName=layer, Description=description, CompatibleRuntimes=[RUNTIME],
        CompatibleArchitectures=[release.manifest.get("architecture", "arm64")],
        Content={"S3Bucket": env.bucket, "S3Key": release.key("layer")},
    )
    return str(published["LayerVersionArn"])


def wait_updated(client: Any, name: str) -> None:
    """Lambda refuses the next change while one is in progress (`LastUpdateStatus` InProgress)."""
    deadline = time.monotonic() + UPDATE_TIMEOUT_SECONDS
    while True:
        config = client.get_function_configuration(FunctionName=name)
        status = config.get("LastUpdateStatus", "Successful")
        if status == "Successful":
            return
        if status == "Failed" or time.monotonic() > deadline:
            raise ReleaseError(f"{name}: update {status}: {config.get('LastUpdateStatusReason', 'timed out')}")
        time.sleep(2)


def _status(payload: str) -> Any:
    """The status code of an API Gateway answer, or None when the payload is not one."""
    try:
        answer = json.loads(payload)
    except ValueError:
        return None
    return answer.get("statusCode") if isinstance(answer, dict) else None


def _versions(client: Any, name: str) -> list[int]:
    found: list[int] = []
    for page in client.get_paginator("list_versions_by_function").paginate(FunctionName=name):
        found += [int(v["Version"]) for v in page["Versions"] if v["Version"] != "$LATEST"]
    return sorted(found)


def _listed(versions: Iterable[int]) -> str:
    return ", ".join(str(v) for v in versions) or "none"


def _exists(s3: Any, bucket: str, key: str) -> bool:
    try:
        s3.head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if exc.response["Error"]["Code"] in {"404", "NoSuchKey", "NotFound"}:
            return False
        raise
    return True


def _lambda_sha(hex_sha: str) -> str:
    """Lambda reports `CodeSha256` as base64 of the digest; the manifest has it in hex."""
    return base64.b64encode(bytes.fromhex(hex_sha)).decode()


def _hex_sha(lambda_sha: str) -> str:
    return base64.b64decode(lambda_sha).hex()


def error_window(*, aws: Aws, env: Environment, window: timedelta, now: datetime) -> dict[str, dict[str, float]]:
    """Sum of each function's Lambda `Errors` and `Throttles` over the `window` before `now` (CloudWatch)."""
    # One period covering the whole window, in whole minutes as CloudWatch requires; the sums add every datapoint.
    period = max(60, -(-int(window.total_seconds()) // 60) * 60)
    sums: dict[str, dict[str, float]] = {}
    for short in env.functions:
        name = env.function(short)
        sums[name] = {}
        for metric in GATE_METRICS:
            answer = aws.cloudwatch.get_metric_statistics(
                Namespace="AWS/Lambda", MetricName=metric, Dimensions=[{"Name": "FunctionName", "Value": name}],
                StartTime=now - window, EndTime=now, Period=period, Statistics=["Sum"],
            )
            sums[name][metric] = sum(point["Sum"] for point in answer["Datapoints"])
    return sums


def gate(*, aws: Aws, env: Environment, window: timedelta, now: datetime) -> dict[str, dict[str, float]]:
    """The error/throttle window before promoting past `env`: every sum must be 0, else ReleaseError naming them."""
    sums = error_window(aws=aws, env=env, window=window, now=now)
    bad = [f"{name} {metric}={value:g}" for name, metrics in sums.items() for metric, value in metrics.items() if value]
    if bad:
        raise ReleaseError(f"{env.name} had errors or throttles in the last {window}: {', '.join(bad)}")
    return sums
