"""One HTTP Lambda per service, on DynamoDB (moto): each builds its own container from `BBWS_*` settings at its
first request, answers its own routes and 404 for another service's; the tenant Lambda keeps the tenant
lifecycle's instance precheck and hands the release of another service's cancelled operation to a worker."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from bbws.aws import instances_http, sites_http, tenants_http
from bbws.tenants import keys
from tests.integration.aws.lambda_events import api_request
from tests.support.api import ApiHarness, rid

Handler = Callable[[dict[str, Any], Any], Any]


@pytest.fixture
def services(aws_api: ApiHarness, monkeypatch: pytest.MonkeyPatch) -> ApiHarness:
    """The settings the service Lambdas read, the same table, queues and signing key as the harness."""
    s = aws_api.settings
    for name, value in {"DATA_DIR": s.data_dir, "DYNAMODB_TABLE": s.dynamodb_table, "QUEUE": "sqs",
                        "SQS_QUEUE_URL": s.sqs_queue_url, "SQS_DLQ_URL": s.sqs_dlq_url, "RUN_WORKER": "false",
                        "AWS_ENDPOINT_URL": s.aws_endpoint_url, "AWS_REGION": s.aws_region}.items():
        monkeypatch.setenv(f"BBWS_{name}", str(value))
    return aws_api


def call(handler: Handler, api: ApiHarness, method: str, path: str, body: Any = None,
         headers: dict[str, str] | None = None) -> tuple[int, Any, dict[str, str]]:
    sent = {k.lower(): v for k, v in (headers or api.admin()).items()}
    response = handler(api_request(method, path, headers=sent, body=body), None)
    return response["statusCode"], json.loads(response.get("body") or "null"), response["headers"]


def active_tenant(api: ApiHarness) -> str:
    tenant = api.create_tenant()
    api.run_jobs()
    return str(tenant["tenantId"])


def test_each_service_answers_its_own_routes_and_404_for_another_services(services: ApiHarness) -> None:
    tid = active_tenant(services)
    tenant, instances, sites = f"/v1.0/tenants/{tid}", f"/v1.0/tenants/{tid}/instances", f"/v1.0/tenants/{tid}/sites"
    for handler, own, others in (
        (tenants_http.handler, tenant, (instances, sites, "/v1.0/templates")),
        (instances_http.handler, instances, (tenant, sites)),
        (sites_http.handler, sites, (tenant, instances)),
    ):
        status, body, _ = call(handler, services, "GET", own)
        assert status == 200, body
        for path in others:
            status, body, _ = call(handler, services, "GET", path)
            assert (status, body["code"]) == (404, "NOT_FOUND"), (handler, path)
    status, body, _ = call(tenants_http.handler, services, "GET", tenant)
    assert body["tenantId"] == tid


def test_the_gateways_request_id_is_the_requests_id_unless_the_client_named_one(services: ApiHarness) -> None:
    tid = active_tenant(services)
    event = api_request("GET", f"/v1.0/tenants/{tid}", headers={"authorization": services.admin()["Authorization"]})
    response = tenants_http.handler(event, None)
    assert response["headers"]["x-request-id"] == event["requestContext"]["requestId"]
    named = api_request("GET", f"/v1.0/tenants/{tid}",
                        headers={"authorization": services.admin()["Authorization"], "x-request-id": "client-1"})
    assert tenants_http.handler(named, None)["headers"]["x-request-id"] == "client-1"


def test_the_tenant_lambda_refuses_a_park_while_an_instance_is_busy(services: ApiHarness) -> None:
    tid = active_tenant(services)
    status, operation, _ = call(instances_http.handler, services, "POST", f"/v1.0/tenants/{tid}/instances",
                                {"environment": "dev"})
    assert status == 202, operation
    status, refused, _ = call(tenants_http.handler, services, "POST", f"/v1.0/tenants/{tid}/lifecycle/park",
                              {"reason": "Client asked to pause"})
    assert (status, refused["code"]) == (409, "OPERATION_IN_PROGRESS"), refused
    # who may not: a viewer of the tenant is refused before any precheck
    viewer = services.member(tid, "VIEWER", sub=rid("viewer"))
    status, _, _ = call(tenants_http.handler, services, "POST", f"/v1.0/tenants/{tid}/lifecycle/park",
                        {"reason": "Client asked to pause"}, headers=viewer)
    assert status == 403


def test_cancelling_an_instance_operation_on_the_tenant_lambda_releases_the_instance_through_a_worker(
    services: ApiHarness,
) -> None:
    tid = active_tenant(services)
    status, operation, _ = call(instances_http.handler, services, "POST", f"/v1.0/tenants/{tid}/instances",
                                {"environment": "dev"})
    assert status == 202, operation
    iid = operation["resourceId"]
    status, cancelled, _ = call(tenants_http.handler, services, "POST",
                                f"/v1.0/operations/{operation['operationId']}/cancel")
    assert (status, cancelled["status"]) == (200, "CANCELLED"), cancelled
    stored = services.container.store.get(keys.tenant_pk(tid), keys.instance_sk("dev"))
    assert stored is not None and stored["pendingOperationId"] == operation["operationId"]  # no instance code ran

    services.run_jobs()  # a worker (every context) runs the release the tenant Lambda queued
    stored = services.container.store.get(keys.tenant_pk(tid), keys.instance_sk("dev"))
    assert stored is not None and stored.get("pendingOperationId") is None, stored
    status, released, _ = call(instances_http.handler, services, "GET", f"/v1.0/tenants/{tid}/instances/{iid}")
    assert (status, released["status"]) == (200, "DEPROVISIONED"), released
