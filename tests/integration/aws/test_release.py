"""`bbws aws deploy / promote / rollback / restore-table / gate` against moto: what Terraform leaves (functions
with `live` on version 1, the artifacts bucket, the table) is made here with boto3, then released."""

from __future__ import annotations

import base64
import hashlib
import importlib
import io
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber
from typer.testing import CliRunner

from bbws.aws.packaging import CODE_ZIP, FUNCTIONS, LAYER_ZIP, MANIFEST, describe, write_zip
from bbws.aws.release import (
    ALIAS,
    ARTIFACT_TAG,
    DEPLOYED_KEY,
    Aws,
    Environment,
    Release,
    ReleaseError,
    deploy,
    gate,
    invoke_check,
    load_release,
    promote,
    rollback,
    smoke_event,
    upload,
)
from bbws.aws.restore import TABLE_SETTING, parse_time, restore_table, switch
from bbws.cli.main import app as cli
from tests.support.api import ApiHarness, rid
from tests.support.moto_server import REGION, boto_client

SHORTS = ("tenants", "sqs-worker")  # an HTTP function and a worker: what differs between kinds is covered
BATCH_WORKERS = {"sqs-worker", "outbox-relay"}  # fed by SQS and by the table's stream


def clients(endpoint: str) -> Aws:
    return Aws(**{("lambda_" if n == "lambda" else n): boto_client(n, endpoint)
                  for n in ("lambda", "s3", "dynamodb", "cloudwatch", "sts")})


def provision(aws: Aws, iam: Any, env: Environment) -> None:
    """What `terraform apply` leaves: the bucket, and each function with `live` on its first published version."""
    role = iam.create_role(RoleName=rid("role"), AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    aws.s3.create_bucket(Bucket=env.bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    for short in env.functions:
        name = env.function(short)
        aws.lambda_.create_function(
            FunctionName=name, Runtime="python3.12", Role=role, Handler=FUNCTIONS[short],
            Code={"ZipFile": zipped("terraform's placeholder")}, Architectures=["arm64"],
            Environment={"Variables": {TABLE_SETTING: env.table, "BBWS_MODE": "aws"}},
        )
        version = aws.lambda_.publish_version(FunctionName=name)["Version"]
        aws.lambda_.create_alias(FunctionName=name, Name=ALIAS, FunctionVersion=version)


def zipped(text: str) -> bytes:
    buffer = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("bbws/__init__.py", f"# {text}\n")
    return buffer.getvalue()


def package(folder: Path, marker: str) -> Path:
    """A release folder as `bbws aws package` writes it (small zips, the real manifest)."""
    sources = folder / "src"
    sources.mkdir(parents=True)
    (sources / "code.py").write_text(f"# code {marker}\n")
    (sources / "layer.py").write_text(f"# layer {marker}\n")
    code = write_zip(folder / CODE_ZIP, [("bbws/code.py", sources / "code.py")])
    layer = write_zip(folder / LAYER_ZIP, [("python/layer.py", sources / "layer.py")])
    manifest = describe(code=code, layer=layer, packages={}, functions=FUNCTIONS, limit_bytes=250 * 1_048_576)
    (folder / MANIFEST).write_text(json.dumps(manifest))
    return folder


def live(aws: Aws, env: Environment, short: str) -> str:
    return str(aws.lambda_.get_alias(FunctionName=env.function(short), Name=ALIAS)["FunctionVersion"])


def lambda_sha(hex_sha: str) -> str:
    return base64.b64encode(bytes.fromhex(hex_sha)).decode()


def passes(short: str, qualified: str) -> None:
    """A smoke check that passes (moto cannot run a function without docker)."""


@pytest.fixture
def aws(moto_endpoint: str) -> Aws:
    return clients(moto_endpoint)


@pytest.fixture
def env(aws: Aws, moto_endpoint: str) -> Environment:
    name = rid("e")
    environment = Environment(name=name, bucket=f"bbws-artifacts-{name}", table=f"bbws-{name}", functions=SHORTS)
    provision(aws, boto_client("iam", moto_endpoint), environment)
    return environment


def release_in(aws: Aws, env: Environment, folder: Path, marker: str) -> Release:
    artifacts = package(folder, marker)
    release = load_release(artifacts=artifacts)
    upload(aws=aws, env=env, release=release, artifacts=artifacts)
    return release


# -- deploy
def test_deploy_moves_live_to_a_published_version_of_the_artifact(aws: Aws, env: Environment, tmp_path: Path) -> None:
    release = release_in(aws, env, tmp_path / "r1", "one")
    checked: list[str] = []
    deploy(aws=aws, env=env, release=release, smoke=lambda short, q: checked.append(q), log=print)

    assert checked == [f"{env.function(s)}:{ALIAS}" for s in SHORTS]
    code = (tmp_path / "r1" / CODE_ZIP).read_bytes()
    assert hashlib.sha256(code).hexdigest() == release.code_sha256
    assert aws.s3.get_object(Bucket=env.bucket, Key=release.key("code"))["Body"].read() == code
    for short in SHORTS:
        name = env.function(short)
        assert live(aws, env, short) == "2"
        running = aws.lambda_.get_function_configuration(FunctionName=name, Qualifier=ALIAS)
        assert running["CodeSha256"] == lambda_sha(release.code_sha256)
        assert running["Layers"][0]["Arn"].endswith(f":layer:bbws-deps-{env.name}:1")
        arn = running["FunctionArn"].rsplit(":", 1)[0]
        assert aws.lambda_.list_tags(Resource=arn)["Tags"][ARTIFACT_TAG] == release.code_sha256
    recorded = json.loads(aws.s3.get_object(Bucket=env.bucket, Key=DEPLOYED_KEY)["Body"].read())
    assert recorded["artifacts"]["code"]["sha256"] == release.code_sha256


def test_a_failing_smoke_check_moves_every_function_back(aws: Aws, env: Environment, tmp_path: Path) -> None:
    release = release_in(aws, env, tmp_path / "r1", "one")

    def worker_fails(short: str, qualified: str) -> None:
        if short == "sqs-worker":
            raise ReleaseError(f"smoke check of {qualified} failed")

    with pytest.raises(ReleaseError, match=rf"smoke check of bbws-sqs-worker-{env.name}:live failed.*rolled back 2"):
        deploy(aws=aws, env=env, release=release, smoke=worker_fails, log=print)
    assert [live(aws, env, s) for s in SHORTS] == ["1", "1"]
    # Nothing passed, so nothing is recorded for promotion
    with pytest.raises(ReleaseError, match="nothing was deployed"):
        promote(aws_from=aws, env_from=env, aws_to=aws, env_to=env, smoke=passes, log=print)


def test_the_default_smoke_check_rolls_back_when_the_invoke_fails(aws: Aws, env: Environment, tmp_path: Path) -> None:
    """The default check really invokes `live`; moto cannot run the code here, so the invoke answers an error,
    as a function that cannot import its handler does on AWS."""
    release = release_in(aws, env, tmp_path / "r1", "one")
    with pytest.raises(ReleaseError, match=rf"smoke check of bbws-tenants-{env.name}:live failed") as failure:
        deploy(aws=aws, env=env, release=release, smoke=invoke_check(aws), log=print)
    assert "rolled back 1 function(s)" in str(failure.value)
    assert [live(aws, env, s) for s in SHORTS] == ["1", "1"]


def answered(payload: Any, function_error: str | None = None) -> dict[str, Any]:
    body = json.dumps(payload).encode()
    response: dict[str, Any] = {"StatusCode": 200, "Payload": StreamingBody(io.BytesIO(body), len(body))}
    if function_error:
        response["FunctionError"] = function_error
    return response


@pytest.mark.parametrize(
    ("short", "answer", "problem"),
    [
        ("tenants", answered({"statusCode": 200, "body": "{}"}), None),
        ("tenants", answered({"statusCode": 503, "body": "{}"}), "GET /healthz answered"),
        ("tenants", answered(["not", "a", "gateway", "answer"]), "GET /healthz answered"),
        ("sqs-worker", answered({"batchItemFailures": []}), None),
        ("sqs-worker", answered({"errorMessage": "No module named 'bbws'"}, "Unhandled"), "failed \\(Unhandled\\)"),
    ],
)
def test_the_default_smoke_check_reads_the_answer(short: str, answer: dict[str, Any], problem: str | None) -> None:
    """What AWS answers an invoke, stubbed at the SDK (moto cannot run functions without docker)."""
    client = boto3.client("lambda", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    http = short == "tenants"
    with Stubber(client) as stub:
        expected = {"FunctionName": "bbws-f-dev", "Qualifier": ALIAS,
                    "Payload": json.dumps(smoke_event(http=http)).encode()}
        stub.add_response("invoke", answer, expected)
        check = invoke_check(Aws(lambda_=client, s3=None))
        if problem is None:
            check(short, f"bbws-f-dev:{ALIAS}")
        else:
            with pytest.raises(ReleaseError, match=problem):
                check(short, f"bbws-f-dev:{ALIAS}")


@pytest.mark.parametrize("short", list(FUNCTIONS))
def test_every_entry_point_answers_its_smoke_event(short: str, aws_api: ApiHarness) -> None:
    """The events the default check sends are ones the real handlers answer without an error."""
    module, attribute = FUNCTIONS[short].rsplit(".", 1)
    handler = getattr(importlib.import_module(module), attribute)
    http = module.endswith("_http")
    answer = handler(smoke_event(http=http), None)
    if http:
        assert answer["statusCode"] == 200, answer
    elif short in BATCH_WORKERS:  # an empty batch: loaded, nothing to do, nothing failed
        assert answer == {"batchItemFailures": []}


# -- promote
def test_promote_deploys_the_artifact_that_passed(aws: Aws, moto_endpoint: str, env: Environment,
                                                  tmp_path: Path) -> None:
    release = release_in(aws, env, tmp_path / "r1", "one")
    deploy(aws=aws, env=env, release=release, smoke=passes, log=print)
    name = rid("e")
    target = Environment(name=name, bucket=f"bbws-artifacts-{name}", table=f"bbws-{name}", functions=SHORTS)
    provision(aws, boto_client("iam", moto_endpoint), target)

    promoted = promote(aws_from=aws, env_from=env, aws_to=aws, env_to=target, smoke=passes, log=print)

    assert promoted.code_sha256 == release.code_sha256
    for short in SHORTS:
        running = aws.lambda_.get_function_configuration(FunctionName=target.function(short), Qualifier=ALIAS)
        assert running["CodeSha256"] == lambda_sha(release.code_sha256)
    source_zip = aws.s3.get_object(Bucket=env.bucket, Key=release.key("code"))["Body"].read()
    assert aws.s3.get_object(Bucket=target.bucket, Key=release.key("code"))["Body"].read() == source_zip


def test_promote_refuses_when_the_source_does_not_run_the_recorded_artifact(
    aws: Aws, moto_endpoint: str, env: Environment, tmp_path: Path
) -> None:
    release = release_in(aws, env, tmp_path / "r1", "one")
    deploy(aws=aws, env=env, release=release, smoke=passes, log=print)
    rollback(aws=aws, env=env, function="sqs-worker", log=print)  # someone moved `live` by hand since
    name = rid("e")
    target = Environment(name=name, bucket=f"bbws-artifacts-{name}", table=f"bbws-{name}", functions=SHORTS)
    provision(aws, boto_client("iam", moto_endpoint), target)

    with pytest.raises(ReleaseError, match=rf"bbws-sqs-worker-{env.name}:live does not run the recorded artifact"):
        promote(aws_from=aws, env_from=env, aws_to=aws, env_to=target, smoke=passes, log=print)
    assert [live(aws, target, s) for s in SHORTS] == ["1", "1"]


# -- rollback
def test_rollback_moves_live_to_the_previous_version_and_says_when_there_is_none(
    aws: Aws, env: Environment, tmp_path: Path
) -> None:
    deploy(aws=aws, env=env, release=release_in(aws, env, tmp_path / "r1", "one"), smoke=passes, log=print)
    deploy(aws=aws, env=env, release=release_in(aws, env, tmp_path / "r2", "two"), smoke=passes, log=print)
    assert [live(aws, env, s) for s in SHORTS] == ["3", "3"]

    rollback(aws=aws, env=env, function="tenants", log=print)
    assert [live(aws, env, s) for s in SHORTS] == ["2", "3"]
    rollback(aws=aws, env=env, log=print)
    assert [live(aws, env, s) for s in SHORTS] == ["1", "2"]
    # tenants has nothing before version 1: the whole rollback is refused, sqs-worker stays where it is
    with pytest.raises(ReleaseError, match=rf"bbws-tenants-{env.name}: live is version 1 and there is no earlier"):
        rollback(aws=aws, env=env, log=print)
    assert [live(aws, env, s) for s in SHORTS] == ["1", "2"]


def test_rollback_to_a_given_version(aws: Aws, env: Environment, tmp_path: Path) -> None:
    deploy(aws=aws, env=env, release=release_in(aws, env, tmp_path / "r1", "one"), smoke=passes, log=print)
    rollback(aws=aws, env=env, function="sqs-worker", to_version="1", log=print)
    assert live(aws, env, "sqs-worker") == "1"
    rollback(aws=aws, env=env, function="sqs-worker", to_version="2", log=print)  # forward again
    assert live(aws, env, "sqs-worker") == "2"
    with pytest.raises(ReleaseError, match="has no version 7 \\(versions: 1, 2\\)"):
        rollback(aws=aws, env=env, function="sqs-worker", to_version="7", log=print)
    with pytest.raises(ReleaseError, match="unknown function 'billing'"):
        rollback(aws=aws, env=env, function="billing", log=print)


# -- restore-table
def test_restore_table_into_a_new_table_and_switch_the_functions(aws: Aws, env: Environment) -> None:
    """moto supports `restore_table_to_point_in_time`, copying the table as it is now (it keeps no history)."""
    aws.dynamodb.create_table(
        TableName=env.table, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
    )
    aws.dynamodb.update_continuous_backups(
        TableName=env.table, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )
    aws.dynamodb.put_item(TableName=env.table, Item={"pk": {"S": "TENANT#t1"}})
    when = parse_time("2026-05-01T10:30:00Z")

    restored = restore_table(aws=aws, env=env, to_time=when, log=print)

    assert restored.table == f"{env.table}-restored-20260501103000"
    assert aws.dynamodb.describe_table(TableName=restored.table)["Table"]["TableStatus"] == "ACTIVE"
    assert aws.dynamodb.scan(TableName=restored.table)["Items"] == [{"pk": {"S": "TENANT#t1"}}]
    steps = "\n".join(restored.steps())
    assert f"{TABLE_SETTING}={restored.table}" in steps and env.function("tenants") in steps
    assert TABLE_SETTING not in "\n".join(restored.steps(switched=True))

    switch(aws=aws, restored=restored, log=print)
    for short in SHORTS:
        running = aws.lambda_.get_function_configuration(FunctionName=env.function(short), Qualifier=ALIAS)
        assert running["Environment"]["Variables"][TABLE_SETTING] == restored.table
        assert running["Environment"]["Variables"]["BBWS_MODE"] == "aws"  # the other settings are kept
        assert live(aws, env, short) == "2"


def test_restore_of_a_missing_table_says_so(aws: Aws, env: Environment) -> None:
    with pytest.raises(ReleaseError, match=f"DynamoDB refused to restore {env.table}"):
        restore_table(aws=aws, env=env, to_time=datetime.now(UTC), log=print)
    with pytest.raises(ReleaseError, match="not an ISO 8601 time"):
        parse_time("yesterday")
    assert parse_time("2026-05-01T10:30:00").tzinfo is UTC


# -- gate
def test_gate_fails_on_errors_or_throttles_inside_the_window(aws: Aws, env: Environment) -> None:
    now = datetime.now(UTC)
    assert gate(aws=aws, env=env, window=timedelta(hours=1), now=now) == {
        env.function(s): {"Errors": 0, "Throttles": 0} for s in SHORTS
    }
    metric = {"MetricName": "Throttles", "Dimensions": [{"Name": "FunctionName", "Value": env.function("tenants")}]}
    aws.cloudwatch.put_metric_data(
        Namespace="AWS/Lambda", MetricData=[{**metric, "Value": 3, "Timestamp": now - timedelta(hours=3)}]
    )
    gate(aws=aws, env=env, window=timedelta(hours=1), now=now)  # three hours ago is outside the window
    aws.cloudwatch.put_metric_data(
        Namespace="AWS/Lambda", MetricData=[{**metric, "Value": 2, "Timestamp": now - timedelta(minutes=5)}]
    )
    with pytest.raises(ReleaseError, match=rf"bbws-tenants-{env.name} Throttles=2"):
        gate(aws=aws, env=env, window=timedelta(hours=1), now=now)


# -- the commands
@pytest.fixture
def account(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Aws]:
    """Clients in an account of this test's own (moto keeps accounts apart by the assumed role's keys): the
    commands take only dev, sit and prod, whose names would collide with other tests' on the shared server.
    The commands find the same keys in the environment, as boto3 always does (never a real profile)."""
    number = str(uuid.uuid4().int)[:12]
    keys = boto_client("sts", moto_endpoint).assume_role(
        RoleArn=f"arn:aws:iam::{number}:role/release", RoleSessionName="test"
    )["Credentials"]
    for name in ("AWS_PROFILE", "AWS_SECURITY_TOKEN", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", keys["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", keys["SecretAccessKey"])
    monkeypatch.setenv("AWS_SESSION_TOKEN", keys["SessionToken"])
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
    monkeypatch.setenv("BBWS_AWS_REGION", REGION)
    monkeypatch.setenv("BBWS_AWS_ENDPOINT_URL", moto_endpoint)
    aws = Aws.connect(region=REGION, endpoint_url=moto_endpoint)
    assert aws.sts.get_caller_identity()["Account"] == number
    yield aws


@pytest.fixture
def account_iam(account: Aws, moto_endpoint: str) -> Any:
    """IAM in the test's account (for the functions' role: moto refuses a role of another account)."""
    return boto3.session.Session(region_name=REGION).client("iam", endpoint_url=moto_endpoint)


def every_function(aws: Aws, name: str) -> Environment:
    """`name` as the commands see it: every function, the bucket named after the account."""
    return Environment.named(name, aws=aws)


def run(*args: str) -> Any:
    return CliRunner().invoke(cli, ["aws", *args])


def test_the_commands_deploy_roll_back_and_gate(account: Aws, account_iam: Any, tmp_path: Path) -> None:
    aws = account
    dev = every_function(aws, "dev")
    assert dev.bucket == f"bbws-artifacts-dev-{aws.sts.get_caller_identity()['Account']}"
    provision(aws, account_iam, dev)
    artifacts = package(tmp_path / "dist", "cli")

    result = run("deploy", "--env", "dev", "--artifacts", str(artifacts))
    assert result.exit_code == 1, result.output
    assert "smoke check of bbws-tenants-dev:live failed" in result.output
    assert "bbws-tenants-dev: live moved back to 1" in result.output
    assert live(aws, dev, "tenants") == "1"

    deploy(aws=aws, env=dev, release=load_release(artifacts=artifacts), smoke=passes, log=print)
    result = run("rollback", "--env", "dev", "--function", "dlq")
    assert result.exit_code == 0, result.output
    assert "bbws-dlq-dev: live 2 -> 1" in result.output
    assert live(aws, dev, "dlq") == "1" and live(aws, dev, "tenants") != "1"  # only the one named
    result = run("rollback", "--env", "dev", "--function", "dlq")
    assert result.exit_code == 1 and "no earlier version" in result.output

    assert run("gate", "--env", "dev", "--window", "1h").exit_code == 0
    aws.cloudwatch.put_metric_data(Namespace="AWS/Lambda", MetricData=[{
        "MetricName": "Errors", "Dimensions": [{"Name": "FunctionName", "Value": "bbws-scheduled-dev"}], "Value": 1,
        "Timestamp": datetime.now(UTC) - timedelta(minutes=1),
    }])
    result = run("gate", "--env", "dev", "--window", "1h")
    assert result.exit_code == 1 and "bbws-scheduled-dev Errors=1" in result.output


def test_the_commands_promote_across_accounts_and_restore(
    account: Aws, account_iam: Any, moto_endpoint: str, tmp_path: Path
) -> None:
    """SIT's deploy role (the keys in the environment) reads DEV, another account, through DEV's read role."""
    aws, sit = account, every_function(account, "sit")
    provision(aws, account_iam, sit)
    number = str(uuid.uuid4().int)[:12]
    dev_role = f"arn:aws:iam::{number}:role/bbws-release-read"
    dev_aws = aws.assume(role_arn=dev_role, region=REGION, endpoint_url=moto_endpoint)
    dev = every_function(dev_aws, "dev")
    assert dev.bucket == f"bbws-artifacts-dev-{number}"
    dev_keys = boto_client("sts", moto_endpoint).assume_role(RoleArn=dev_role, RoleSessionName="setup")["Credentials"]
    provision(dev_aws, boto3.session.Session(
        aws_access_key_id=dev_keys["AccessKeyId"], aws_secret_access_key=dev_keys["SecretAccessKey"],
        aws_session_token=dev_keys["SessionToken"], region_name=REGION,
    ).client("iam", endpoint_url=moto_endpoint), dev)
    promote_args = ("promote", "--from", "dev", "--to", "sit", "--from-role-arn", dev_role)

    result = run(*promote_args)
    assert result.exit_code == 1 and "nothing was deployed to dev yet" in result.output
    release = release_in(dev_aws, dev, tmp_path / "r1", "one")
    deploy(aws=dev_aws, env=dev, release=release, smoke=passes, log=print)
    result = run(*promote_args)  # the default smoke check cannot pass on moto: it gets as far as SIT's `live`
    assert result.exit_code == 1 and "smoke check of bbws-tenants-sit:live failed" in result.output
    assert live(aws, sit, "tenants") == "1"
    assert aws.s3.head_object(Bucket=sit.bucket, Key=release.key("code"))["ContentLength"] > 0
    rollback(aws=dev_aws, env=dev, function="scheduled", log=print)
    result = run(*promote_args)
    assert result.exit_code == 1 and "bbws-scheduled-dev:live does not run the recorded artifact" in result.output
    assert "rolled back" not in result.output  # refused before anything moved

    result = run("restore-table", "--env", "sit", "--to-time", "2026-05-01T10:30:00Z")
    assert result.exit_code == 1 and "DynamoDB refused to restore bbws-sit" in result.output
    aws.dynamodb.create_table(
        TableName="bbws-sit", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
    )
    result = run("restore-table", "--env", "sit", "--to-time", "2026-05-01T10:30:00Z", "--switch")
    assert result.exit_code == 0, result.output
    assert "Restored table: bbws-sit-restored-20260501103000" in result.output
    assert "bbws-sqs-worker-sit: BBWS_DYNAMODB_TABLE=bbws-sit-restored-20260501103000" in result.output
    running = aws.lambda_.get_function_configuration(FunctionName="bbws-sqs-worker-sit", Qualifier=ALIAS)
    assert running["Environment"]["Variables"][TABLE_SETTING] == "bbws-sit-restored-20260501103000"


@pytest.mark.parametrize(
    "args",
    [
        ("deploy", "--env", "staging"),
        ("promote", "--from", "dev", "--to", "dev"),
        ("rollback", "--env", "dev", "--to-version", "latest"),
        ("gate", "--env", "sit", "--window", "1 hour"),
        ("restore-table", "--env", "prod"),
    ],
)
def test_bad_input_is_a_usage_error(args: tuple[str, ...]) -> None:
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output


def test_deploy_without_a_package_says_what_to_run(tmp_path: Path) -> None:
    result = run("deploy", "--env", "dev", "--artifacts", str(tmp_path / "nowhere"))
    assert result.exit_code == 1
    assert "run `bbws aws package --out" in result.output
