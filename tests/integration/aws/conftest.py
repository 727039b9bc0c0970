"""The AWS side on a moto server: SQS queues, DynamoDB, EventBridge, and the Lambda entry points' container."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

import bbws.aws
from bbws.app import build_store
from bbws.aws import http as http_entry
from bbws.aws import instances_http, sites_http, tenants_http
from bbws.core.settings import Settings
from bbws.jobs.sqs_queue import create_queues
from tests.integration.aws.lambda_events import BUS
from tests.support.api import ApiHarness
from tests.support.moto_server import REGION, boto_client, moto_server


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture
def aws_env(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Settings that point the app at the moto server. The app finds credentials the way boto3 always does,
    so the test gives it dummy ones in the environment (never a real profile)."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
    return {"aws_endpoint_url": moto_endpoint, "aws_region": REGION}


@pytest.fixture
def sqs(moto_endpoint: str) -> Any:
    return boto_client("sqs", moto_endpoint)


@pytest.fixture
def events(moto_endpoint: str) -> Any:
    """An EventBridge client, and the bus `bbws-events-dev` (made once: the moto server serves the session)."""
    client = boto_client("events", moto_endpoint)
    try:
        client.create_event_bus(Name=BUS)
    except ClientError as error:
        if error.response["Error"]["Code"] != "ResourceAlreadyExistsException":
            raise
    return client


@pytest.fixture
def queues(sqs: Any) -> tuple[str, str]:
    """A fresh job queue and its DLQ (random names: tests share the moto server)."""
    return create_queues(sqs, f"bbws-jobs-{uuid.uuid4().hex[:8]}", "dev")


@pytest.fixture
def aws_api(
    tmp_path: Path, aws_env: dict[str, str], queues: tuple[str, str], events: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ApiHarness]:
    """The API as on AWS: DynamoDB (`BBWS_STORE=dynamodb`), SQS and EventBridge; the Lambda entry points share
    its container."""
    monkeypatch.setenv("BBWS_STORE", "dynamodb")
    url, dlq_url = queues
    settings: dict[str, Any] = {
        **aws_env,
        "dynamodb_table": f"bbws-{uuid.uuid4().hex[:12]}",
        "queue": "sqs",
        "sqs_queue_url": url,
        "sqs_dlq_url": dlq_url,
        "run_worker": False,
        "event_bus": BUS,
    }
    store = build_store(Settings(data_dir=tmp_path / "data", **settings))
    store.ensure_schema()  # type: ignore[attr-defined]  # what `bbws store init` does
    harness = ApiHarness(tmp_path / "data", **settings)
    bbws.aws.use_container(harness.container)
    yield harness
    harness.container.store.close()  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def fresh_lambda_container() -> Iterator[None]:
    """Each test gives the Lambda entry points their own container and forgets it afterwards."""
    yield
    bbws.aws.use_container(None)
    for entry in (http_entry.app, tenants_http.app, instances_http.app, sites_http.app):
        entry.reset()
