"""`envs/dev` applied to a moto server, then smoke-tested through the Lambda entry points against what Terraform
made: a tenant created over HTTP (ACTIVE at once), its park's job on the queue, the consumer runs it, the tenant
is PARKED and its events reach the bus. Then `terraform destroy`. The endpoints exist only in an override file
of the test's copy."""

from __future__ import annotations

import importlib.util
import json
import time
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

import bbws.aws
from bbws.aws import outbox_relay, sqs_worker
from tests.integration.aws.lambda_events import (
    SOURCE,
    api_request,
    delivered,
    outbox_items,
    received,
    sqs_event,
    stream_event,
)
from tests.integration.terraform.conftest import ROOT, copy_tree, terraform, terraform_env
from tests.support.api import ApiHarness
from tests.support.moto_server import REGION, boto_client, moto_server

SERVICES = (
    "apigatewayv2", "cloudwatch", "logs", "cognitoidp", "dynamodb", "events", "iam", "kms", "lambda", "s3", "sns",
    "sqs", "sts",
)  # fmt: skip
TIME_LIMIT = 420  # apply + smoke + destroy; about 100 s on two cores
# The tenants service's own entry point (the all-in-one `bbws.aws.http` where there is none).
SERVICE = "tenants" if importlib.util.find_spec("bbws.aws.tenants_http") else "all"
pytestmark = pytest.mark.slow
http_entry: Any = importlib.import_module("bbws.aws.tenants_http" if SERVICE == "tenants" else "bbws.aws.http")


def override(endpoint: str) -> str:
    """Both providers (the region and the DR one) on the moto server with fake credentials; state stays local."""
    endpoints = "\n".join(f'    {service} = "{endpoint}"' for service in SERVICES)
    settings = (
        '  access_key = "testing"\n  secret_key = "testing"\n'
        "  skip_credentials_validation = true\n  skip_requesting_account_id = true\n"
        "  skip_metadata_api_check = true\n  s3_use_path_style = true\n"
        f"  endpoints {{\n{endpoints}\n  }}\n"
    )
    providers = "".join(f'provider "aws" {{\n{alias}{settings}}}\n' for alias in ("", '  alias = "dr"\n'))
    return 'terraform {\n  backend "local" {}\n}\n' + providers


def placeholder_zips(folder: Path) -> Path:
    """What `bbws aws package` would write; moto stores the code and never runs it."""
    folder.mkdir()
    for name, member in (("bbws-layer.zip", "python/placeholder.py"), ("bbws-code.zip", "placeholder.py")):
        with zipfile.ZipFile(folder / name, "w") as archive:
            archive.writestr(member, "# placeholder\n")
    return folder


def spec_routes() -> dict[str, str]:
    """Every operation of the spec and the service that owns its path."""
    spec = yaml.safe_load((ROOT / "openapi" / "bbws-api.yaml").read_text())
    sites = ("/v1.0/templates", "/v1.0/plugins", "/v1.0/admin/templates")
    routes = {}
    for path, item in spec["paths"].items():
        owner = "tenants"
        if path.startswith((*sites, "/v1.0/tenants/{tenantId}/sites", "/v1.0/tenants/{tenantId}/drift")):
            owner = "sites"
        elif path.startswith("/v1.0/tenants/{tenantId}/instances"):
            owner = "instances"
        for method in item:
            if method in ("get", "post", "put", "patch", "delete"):
                routes[f"{method.upper()} {path}"] = owner
    return routes


@pytest.fixture(scope="module")
def applied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, Any], dict[str, float]]]:
    """The endpoint of a fresh moto server, the outputs of `envs/dev` applied to it, and how long each step took."""
    work = tmp_path_factory.mktemp("apply")
    folder = copy_tree(work) / "envs" / "dev"
    env = terraform_env(work)
    variables = [
        f"-var=artifacts_dir={placeholder_zips(work / 'dist')}",
        f"-var=cursor_secret={uuid.uuid4().hex}{uuid.uuid4().hex}",
        "-var=enable_unsupported_in_moto=false",
    ]
    fast = ["-parallelism=20"]  # moto answers at once; Terraform's own waiters are what takes the time
    timings: dict[str, float] = {}
    with moto_server() as endpoint:
        (folder / "moto_override.tf").write_text(override(endpoint))
        terraform(folder, env, "init", "-input=false")
        started = time.monotonic()
        terraform(folder, env, "apply", "-auto-approve", "-input=false", *fast, *variables, timeout=TIME_LIMIT)
        timings["apply"] = time.monotonic() - started
        outputs = {k: v["value"] for k, v in json.loads(terraform(folder, env, "output", "-json")).items()}
        try:
            yield endpoint, outputs, timings
        finally:
            started = time.monotonic()
            terraform(folder, env, "destroy", "-auto-approve", "-input=false", "-refresh=false", *fast, *variables)
            timings["destroy"] = time.monotonic() - started
            print(f"control plane on moto: {', '.join(f'{k} {v:.0f} s' for k, v in timings.items())}")
            # destroy left nothing behind (moto keeps one state per process: other tests' tables may be there)
            assert outputs["table_name"] not in boto_client("dynamodb", endpoint).list_tables()["TableNames"]


@pytest.fixture
def aws_api(
    applied: tuple[str, dict[str, Any], dict[str, float]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ApiHarness]:
    """The Lambdas' container, configured as Terraform configures the functions (table, queues, bus)."""
    endpoint, out, _ = applied
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing")):
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
    monkeypatch.setenv("BBWS_STORE", "dynamodb")
    harness = ApiHarness(
        tmp_path / "data",
        aws_endpoint_url=endpoint,
        aws_region=REGION,
        dynamodb_table=out["table_name"],
        queue="sqs",
        sqs_queue_url=out["jobs_queue_url"],
        sqs_dlq_url=out["jobs_dlq_url"],
        run_worker=False,
        event_bus=out["event_bus_name"],
    )
    bbws.aws.use_container(harness.container)  # the workers'
    if SERVICE != "all":
        bbws.aws.use_container(harness.container, SERVICE)
    yield harness
    bbws.aws.use_container(None)
    getattr(http_entry, "app", http_entry).reset()


def relay(api: ApiHarness) -> int:
    """What the stream's event source mapping does: each outbox insert to the relay Lambda. (moto hands stream
    records to the mapped function itself, which it can only run in docker, and drops them: the test reads the
    outbox items instead, as the relay does.)"""
    keys = [(i["pk"], i["sk"]) for i in outbox_items(api.container.store)]
    if keys:
        assert outbox_relay.handler(stream_event(keys), None) == {"batchItemFailures": []}
    return len(keys)


def stand_in_for_the_lambda_service(endpoint: str, out: dict[str, Any]) -> dict[str, str]:
    """The test runs the mapped functions in-process: the queue mappings are turned off, so moto does not try to
    (in docker) and the jobs stay on the queue. Returns each mapping's source -> its function (moto names the
    version the `live` alias points at, AWS the alias: the test compares function names)."""
    functions = boto_client("lambda", endpoint)
    mapped = {}
    for mapping in functions.list_event_source_mappings()["EventSourceMappings"]:
        mapped[mapping["EventSourceArn"].split(":", 5)[5]] = mapping["FunctionArn"].split(":function:")[1].split(":")[0]
        if mapping["EventSourceArn"].startswith("arn:aws:sqs:"):
            functions.update_event_source_mapping(UUID=mapping["UUID"], Enabled=False)
    return mapped


def call(api: ApiHarness, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    headers = {k.lower(): v for k, v in api.admin().items()}
    response = http_entry.handler(api_request(method, path, headers=headers, body=body), None)
    return response["statusCode"], json.loads(response["body"])


def test_the_gateway_routes_are_the_specs_operations(applied: tuple[str, dict[str, Any], dict[str, float]]) -> None:
    endpoint, out, _ = applied
    assert out["routes"] == spec_routes()
    gateway = boto_client("apigatewayv2", endpoint)
    made = gateway.get_routes(ApiId=out["api_id"], MaxResults="500")["Items"]
    assert {r["RouteKey"] for r in made} == set(spec_routes())
    public = {r["RouteKey"] for r in made if r["AuthorizationType"] == "NONE"}
    assert public == {"GET /v1.0/invitations/{token}", "POST /v1.0/invitations/{token}/decline"}
    (authorizer_id,) = {r.get("AuthorizerId") for r in made if r["RouteKey"] not in public}
    authorizer = gateway.get_authorizer(ApiId=out["api_id"], AuthorizerId=authorizer_id)
    assert authorizer["AuthorizerType"] == "JWT" and out["user_pool_id"] in authorizer["JwtConfiguration"]["Issuer"]


def granted(endpoint: str, role: str) -> dict[str, set[str]]:
    """What a function's role may do beyond logs, tracing and the key: resource name -> actions."""
    iam = boto_client("iam", endpoint)
    document = iam.get_role_policy(RoleName=role, PolicyName=role)["PolicyDocument"]
    statements = json.loads(document) if isinstance(document, str) else document
    found: dict[str, set[str]] = {}
    for statement in statements["Statement"]:
        if statement["Sid"] in ("Logs", "Tracing", "Key", "Failures"):
            continue
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        for resource in resources:
            # `table/bbws-dev`, `bbws-jobs-dev`, `event-bus/bbws-events-dev`, `{bucket}/sites/*` (a stream's
            # name has colons of its own: split off the ARN's five prefix fields only)
            found.setdefault(resource.split(":", 5)[-1].split("/index/")[0], set()).update(actions)
    return found


def test_each_function_may_touch_only_what_its_code_uses(
    applied: tuple[str, dict[str, Any], dict[str, float]],
) -> None:
    endpoint, out, _ = applied
    grants = {key: granted(endpoint, name) for key, name in out["function_names"].items()}
    bucket = out["artifacts_bucket"]
    assert {k for k, g in grants.items() if "bbws-jobs-dlq-dev" in g} == {"tenants", "scheduled", "dlq"}
    assert {k for k, g in grants.items() if f"{bucket}/sites/*" in g} == {"sites", "sqs-worker", "scheduled"}
    assert {k for k, g in grants.items() if "event-bus/bbws-events-dev" in g} == {"sqs-worker", "outbox-relay"}
    assert {k for k, g in grants.items() if any("/stream/" in r for r in g)} == {"outbox-relay"}
    assert "sqs:ReceiveMessage" in grants["sqs-worker"]["bbws-jobs-dev"]
    assert grants["tenants"]["bbws-jobs-dev"] == {"sqs:SendMessage", "sqs:GetQueueAttributes"}
    # The instances and ECS-event functions reach the table and nothing else.
    assert set(grants["instances"]) == set(grants["ecs-events"]) == {"table/bbws-dev"}
    assert all(not action.endswith("*") for g in grants.values() for actions in g.values() for action in actions)


def test_what_terraform_made_is_named_and_shaped_for_the_code(
    applied: tuple[str, dict[str, Any], dict[str, float]],
) -> None:
    endpoint, out, _ = applied
    assert out["table_name"] == "bbws-dev" and out["event_bus_name"] == "bbws-events-dev"
    functions = boto_client("lambda", endpoint)
    for key, name in out["function_names"].items():
        config = functions.get_function_configuration(FunctionName=name, Qualifier="live")
        assert config["Architectures"] == ["arm64"] and config["Version"] != "$LATEST", key
        settings = config["Environment"]["Variables"]
        assert settings["BBWS_DYNAMODB_TABLE"] == "bbws-dev" and settings["BBWS_MODE"] == "aws"
    table = boto_client("dynamodb", endpoint).describe_table(TableName="bbws-dev")["Table"]
    assert {i["IndexName"] for i in table["GlobalSecondaryIndexes"]} == {"GSI1", "GSI2", "GSI3"}
    assert table["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    sqs = boto_client("sqs", endpoint)
    redrive = sqs.get_queue_attributes(QueueUrl=out["jobs_queue_url"], AttributeNames=["RedrivePolicy"])
    assert json.loads(redrive["Attributes"]["RedrivePolicy"])["maxReceiveCount"] == 3
    groups = boto_client("cognito-idp", endpoint).list_groups(UserPoolId=out["user_pool_id"])["Groups"]
    assert {g["GroupName"] for g in groups} == {"platform-admin", "platform-operator", "platform-viewer"}


def test_a_tenant_created_and_parked_over_http_through_the_queue_and_the_bus(
    applied: tuple[str, dict[str, Any], dict[str, float]], aws_api: ApiHarness
) -> None:
    endpoint, out, _ = applied
    mapped = stand_in_for_the_lambda_service(endpoint, out)
    names = out["function_names"]
    assert mapped["bbws-jobs-dev"] == names["sqs-worker"] and "bbws-jobs-dlq-dev" not in mapped  # kept for redrive
    subscribed = boto_client("sns", endpoint).list_subscriptions()["Subscriptions"]
    woken = [s["Endpoint"].split(":")[6] for s in subscribed if s["TopicArn"].endswith(":bbws-alarms-dev")]
    assert woken == [names["dlq"]]  # the DLQ-depth alarm's topic wakes the sweep
    assert [f for source, f in mapped.items() if "/stream/" in source] == [names["outbox-relay"]]
    sqs, events = boto_client("sqs", endpoint), boto_client("events", endpoint)
    # A subscriber of the bus Terraform made: every event of the tenant-management source, into a queue.
    watch = sqs.create_queue(QueueName=f"watch-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    watch_arn = sqs.get_queue_attributes(QueueUrl=watch, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    rule = f"watch-{uuid.uuid4().hex[:8]}"
    events.put_rule(Name=rule, EventBusName=out["event_bus_name"], EventPattern=json.dumps({"source": [SOURCE]}))
    events.put_targets(Rule=rule, EventBusName=out["event_bus_name"], Targets=[{"Id": "watch", "Arn": watch_arn}])

    status, tenant = call(aws_api, "POST", "/v1.0/tenants", {"organizationName": "Smoke Org", "contactEmail": "a@b.co"})
    assert status == 201, tenant
    tid = tenant["tenantId"]
    assert tenant["status"] == "ACTIVE"  # onboarding sets up records only: no job yet
    assert relay(aws_api) >= 1  # tenant.created and friends
    assert received(sqs, out["jobs_queue_url"]) == []

    # Long work: the park is an operation whose job goes through the queue Terraform made.
    status, operation = call(aws_api, "POST", f"/v1.0/tenants/{tid}/lifecycle/park", {"reason": "Smoke test pause"})
    assert status == 202, operation
    assert relay(aws_api) >= 1
    jobs = received(sqs, out["jobs_queue_url"])
    assert [json.loads(m["Body"])["tenantId"] for m in jobs] == [tid]

    assert sqs_worker.handler(sqs_event(jobs), None) == {"batchItemFailures": []}
    relay(aws_api)
    status, finished = call(aws_api, "GET", f"/v1.0/operations/{operation['operationId']}")
    assert status == 200 and finished["status"] == "COMPLETED", finished
    assert call(aws_api, "GET", f"/v1.0/tenants/{tid}")[1]["status"] == "PARKED"
    kinds = {event["detail-type"] for event in delivered(sqs, watch, tid)}
    assert "TENANT_PARKED" in kinds, kinds
