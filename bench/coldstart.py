"""`python -m bench coldstart`: a Lambda cold start, ours vs bare; goal <= 1.5 for the tenant entry point.

Each run is a fresh Python process that imports an HTTP entry point and answers one API Gateway (HTTP API, v2)
event: ours is `bbws.aws.tenants_http` answering `GET /v1.0/tenants/{id}` with a platform-admin token from the
data dir's issuer, on DynamoDB (a moto server the benchmark starts); the bare one is a Powertools
`APIGatewayHttpResolver` with a boto3 DynamoDB client doing the same `GetItem`. The time runs from the first line
of the process (before any import) to the answer. Runs alternate (ours, bare, ours, ...), so the machine's other
work hits both alike, and the ratio compares the medians. Printed beside them: the site and instance entry
points' cold starts (`GET .../sites`, `GET .../instances`), and the tenant entry point as a SnapStart instance
starts (its before-snapshot warm-up done before the timer; only the first request timed).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import Goal, median, table
from bench.dynamo_local import REGION, dynamodb_client, moto_endpoint

GOAL = 1.5
TABLE = "bbws-bench-coldstart"


@dataclass(frozen=True)
class Sizes:
    runs: int  # fresh processes of ours and of the bare one, alternating
    other_runs: int  # of the site and instance entry points


FULL = Sizes(runs=7, other_runs=3)
SMOKE = Sizes(runs=1, other_runs=1)

# The process's first line takes the time; the event comes as JSON in argv[1].
OURS = """import time; started = time.perf_counter()
import json, sys
from importlib import import_module
entry = import_module("bbws.aws." + sys.argv[2])
response = entry.handler(json.loads(sys.argv[1]), None)
print(json.dumps({"seconds": time.perf_counter() - started, "status": response["statusCode"]}))
"""
# As an instance restored from a SnapStart snapshot starts: the entry point's before-snapshot warm-up (its app
# built) happened before the timer; the first request, with the store's first connection, runs after it.
RESTORED = """import json, sys
from importlib import import_module
entry = import_module("bbws.aws." + sys.argv[2])
entry.app.get()
import time; started = time.perf_counter()
response = entry.handler(json.loads(sys.argv[1]), None)
print(json.dumps({"seconds": time.perf_counter() - started, "status": response["statusCode"]}))
"""
BARE = """import time; started = time.perf_counter()
import json, os, sys
import boto3
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from boto3.dynamodb.types import TypeDeserializer

app = APIGatewayHttpResolver()
client = boto3.client("dynamodb", endpoint_url=os.environ["BBWS_AWS_ENDPOINT_URL"],
                      region_name=os.environ["BBWS_AWS_REGION"])
deserialize = TypeDeserializer().deserialize

@app.get("/v1.0/tenants/<tenant_id>")
def get_tenant(tenant_id):
    key = {"pk": {"S": "TENANT#" + tenant_id}, "sk": {"S": "METADATA"}}
    item = client.get_item(TableName=os.environ["BBWS_DYNAMODB_TABLE"], Key=key)["Item"]
    return {name: deserialize(value) for name, value in item.items()}

response = app.resolve(json.loads(sys.argv[1]), None)
print(json.dumps({"seconds": time.perf_counter() - started, "status": response["statusCode"]}, default=str))
"""


def event(path: str, token: str) -> dict[str, Any]:
    """An API Gateway HTTP API (payload v2) GET, as the gateway hands it to the function."""
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"accept": "application/json", "authorization": f"Bearer {token}", "host": "api.bench.local"},
        "requestContext": {
            "accountId": "123456789012", "apiId": "bench", "domainName": "api.bench.local", "domainPrefix": "api",
            "http": {"method": "GET", "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1",
                     "userAgent": "bench"},
            "requestId": "coldstart-bench", "routeKey": "$default", "stage": "$default",
            "time": "01/Jan/2026:00:00:00 +0000", "timeEpoch": 1767225600000,
        },
        "isBase64Encoded": False,
    }


def one_run(code: str, request: dict[str, Any], env: dict[str, str], *extra: str) -> float:
    """Seconds from a fresh process's first line to its answer; a non-200 answer is an error, not a figure."""
    done = subprocess.run([sys.executable, "-c", code, json.dumps(request), *extra], capture_output=True,
                          text=True, env=env, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"the cold-start process failed:\n{done.stderr[-2000:]}")
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    if answer["status"] != 200:
        raise RuntimeError(f"the cold-start process answered {answer['status']}:\n{done.stdout[-2000:]}")
    return float(answer["seconds"])


def environment(data_dir: Path, endpoint: str) -> dict[str, str]:
    """What a Lambda of ours is configured with (and the bare one reads its table from), with dummy credentials
    so no real AWS profile is read."""
    env = {name: value for name, value in os.environ.items() if not name.startswith(("AWS_", "BBWS_"))}
    return env | {
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
        "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "BBWS_DATA_DIR": str(data_dir), "BBWS_STORE": "dynamodb", "BBWS_DYNAMODB_TABLE": TABLE,
        "BBWS_AWS_REGION": REGION, "BBWS_AWS_ENDPOINT_URL": endpoint, "BBWS_RUN_WORKER": "false",
        "BBWS_LOG_LEVEL": "WARNING", "POWERTOOLS_METRICS_NAMESPACE": "BBWS",
    }


def seed(data_dir: Path, endpoint: str) -> tuple[str, str]:
    """The table, one tenant in it, and a platform admin's token from the data dir's issuer."""
    from bbws.app import build_container
    from bbws.core.changes import Actor
    from bbws.core.settings import Settings
    from bbws.store.dynamodb_store import DynamoDbStore
    from bbws.tenants.schemas import TenantCreate
    from bbws.tenants.service import create_tenant

    store = DynamoDbStore(TABLE, client=dynamodb_client(endpoint), region=REGION)
    store.ensure_schema()
    settings = Settings(data_dir=data_dir, store="dynamodb", dynamodb_table=TABLE, aws_region=REGION,
                        aws_endpoint_url=endpoint)
    container = build_container(settings, store=store, service="tenants")
    assert container.issuer is not None
    tenant = create_tenant(store=store, clock=container.clock, actor=Actor.system("bench"),
                           data=TenantCreate(organizationName="Cold Start Org", contactEmail="ops@example.com"))
    return str(tenant["tenantId"]), container.issuer.mint("bench-admin", groups=["platform-admin"])


def run(*, sizes: Sizes = FULL) -> list[Goal]:
    """Run the benchmark and print its table; return its goal."""
    with ExitStack() as stack:
        endpoint = stack.enter_context(moto_endpoint())
        data_dir = Path(tempfile.mkdtemp(prefix="bench-coldstart-"))
        stack.callback(shutil.rmtree, data_dir, True)
        tenant_id, token = seed(data_dir, endpoint)
        env = environment(data_dir, endpoint)
        get_tenant = event(f"/v1.0/tenants/{tenant_id}", token)
        ours: list[float] = []
        bare: list[float] = []
        for _ in range(sizes.runs):
            ours.append(one_run(OURS, get_tenant, env, "tenants_http"))
            bare.append(one_run(BARE, get_tenant, env))
        restored = [one_run(RESTORED, get_tenant, env, "tenants_http") for _ in range(sizes.other_runs)]
        others = {
            service: [one_run(OURS, event(f"/v1.0/tenants/{tenant_id}/{service}", token), env, f"{service}_http")
                      for _ in range(sizes.other_runs)]
            for service in ("instances", "sites")
        }
    rows = [
        ["tenants_http: GET /v1.0/tenants/{id}", len(ours), f"{median(ours) * 1000:.0f}", f"{min(ours) * 1000:.0f}"],
        ["bare resolver + boto3 GetItem", len(bare), f"{median(bare) * 1000:.0f}", f"{min(bare) * 1000:.0f}"],
        ["tenants_http restored from a SnapStart snapshot", len(restored), f"{median(restored) * 1000:.0f}",
         f"{min(restored) * 1000:.0f}"],
        *[[f"{service}_http: GET /v1.0/tenants/{{id}}/{service}", len(times), f"{median(times) * 1000:.0f}",
           f"{min(times) * 1000:.0f}"] for service, times in others.items()],
    ]
    print("Cold start: a fresh process imports the entry point and answers one request (DynamoDB on moto):")
    print(table(["entry point", "runs", "median ms", "min ms"], rows))
    print(f"tenants_http restored / bare: ratio {median(restored) / median(bare):.2f} (printed, no goal)")
    for service, times in others.items():
        print(f"{service}_http / bare: ratio {median(times) / median(bare):.2f} (printed, no goal)")
    goal = Goal("coldstart tenants_http / bare", median(ours) / median(bare), "<=", GOAL)
    print(goal.line())
    return [goal]


def main(argv: Sequence[str]) -> list[Goal]:
    parser = argparse.ArgumentParser(prog="python -m bench coldstart", description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="one run of each")
    parser.add_argument("--runs", type=int, default=FULL.runs, help="fresh processes of ours and of the bare one")
    args = parser.parse_args(argv)
    return run(sizes=SMOKE if args.smoke else Sizes(runs=args.runs, other_runs=FULL.other_runs))
