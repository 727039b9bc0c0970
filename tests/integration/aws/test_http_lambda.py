"""The API's Lambda entry point: API Gateway HTTP API (payload v2) events through Mangum to the same app."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import bbws.aws
from bbws.aws import http
from tests.integration.aws.lambda_events import api_request, sample_event


@pytest.fixture
def lambda_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The Lambda builds its app from `BBWS_*` settings at the first request."""
    monkeypatch.setenv("BBWS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("BBWS_RUN_WORKER", "false")


def call(event: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
    response = http.handler(event, None)
    assert response["isBase64Encoded"] is False  # JSON and problem+json go out as text
    body = response.get("body") or ""
    return response["statusCode"], response["headers"], json.loads(body) if body else None


def test_healthz(lambda_env: None) -> None:
    assert call(sample_event("apigw_v2_request.json"))[::2] == (200, {"status": "ok"})


def test_authorized_tenant_list(lambda_env: None) -> None:
    status, headers, body = call(api_request("GET", "/v1.0/tenants", query="pageSize=5"))
    assert status == 401 and headers["content-type"].startswith("application/problem+json")

    issuer = bbws.aws.container().issuer  # the same container the handler built at its first request
    assert issuer is not None
    token = issuer.mint("platform-admin", groups=["platform-admin"])
    status, headers, body = call(
        api_request("GET", "/v1.0/tenants", query="pageSize=5", headers={"authorization": f"Bearer {token}"})
    )
    assert status == 200, body
    assert body["items"] == [] and body["moreAvailable"] is False and "_links" in body
    assert headers["x-request-id"] == sample_event("apigw_v2_request.json")["requestContext"]["requestId"]
