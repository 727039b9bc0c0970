"""The one error hierarchy and the problem+json bodies it renders."""

from __future__ import annotations

import json

import pytest

from bbws.core.errors import (
    PROBLEM_BASE,
    ApiError,
    Conflict,
    Forbidden,
    Gone,
    InternalError,
    InvalidTransition,
    NotFound,
    PayloadTooLarge,
    PreconditionFailed,
    RateLimited,
    Unauthorized,
    UnprocessableEntity,
    ValidationFailed,
    not_found,
)
from bbws.core.http import PROBLEM_JSON, problem_response

CASES = [
    (ValidationFailed, 400, "VALIDATION_ERROR"),
    (Unauthorized, 401, "UNAUTHORIZED"),
    (Forbidden, 403, "FORBIDDEN"),
    (NotFound, 404, "NOT_FOUND"),
    (Conflict, 409, "CONFLICT"),
    (Gone, 410, "GONE"),
    (PreconditionFailed, 412, "PRECONDITION_FAILED"),
    (PayloadTooLarge, 413, "PAYLOAD_TOO_LARGE"),
    (UnprocessableEntity, 422, "UNPROCESSABLE"),
    (RateLimited, 429, "RATE_LIMITED"),
    (InternalError, 500, "INTERNAL_ERROR"),
]


@pytest.mark.parametrize(("cls", "status", "code"), CASES, ids=[c[2] for c in CASES])
def test_every_error_renders_an_rfc9457_problem(cls: type[ApiError], status: int, code: str) -> None:
    error = cls("Something specific went wrong.")
    body = error.problem(instance="/v1.0/tenants", request_id="req_abc")
    assert body == {
        "type": PROBLEM_BASE + code.lower().replace("_", "-"),
        "title": cls.title,
        "status": status,
        "detail": "Something specific went wrong.",
        "instance": "/v1.0/tenants",
        "code": code,
        "requestId": "req_abc",
    }
    assert isinstance(error, ApiError) and str(error) == "Something specific went wrong."


def test_code_status_and_title_can_be_overridden_and_extra_members_added() -> None:
    error = ApiError("x", code="SITE_001", status=409, title="Subdomain taken", currentETag='"3"')
    body = error.problem(instance="/i", request_id="r")
    assert (body["status"], body["code"], body["title"]) == (409, "SITE_001", "Subdomain taken")
    assert body["type"].endswith("/site-001") and body["currentETag"] == '"3"'


def test_field_errors_appear_only_when_given() -> None:
    with_errors = ValidationFailed("bad", errors=[{"field": "tier", "message": "not a tier"}])
    assert with_errors.problem(instance="/", request_id="r")["errors"] == [{"field": "tier", "message": "not a tier"}]
    assert "errors" not in ValidationFailed("bad").problem(instance="/", request_id="r")


def test_unauthorized_carries_www_authenticate() -> None:
    assert Unauthorized("no token").headers["WWW-Authenticate"].startswith("Bearer")
    assert Unauthorized("x", headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}).headers == {
        "WWW-Authenticate": 'Bearer error="invalid_token"'
    }


def test_not_found_names_the_kind() -> None:
    error = not_found("tenant", "ten_1")
    assert (error.status, error.code) == (404, "TENANT_NOT_FOUND")
    assert "ten_1" in error.detail and error.detail.startswith("Tenant")
    assert not_found("invitation", "inv_1").code == "INVITATION_NOT_FOUND"


def test_invalid_transition_is_a_422_with_the_allowed_moves() -> None:
    error = InvalidTransition(
        resource="The tenant", current="PARKED", target="SUSPENDED", allowed=["DEPROVISIONED", "ACTIVE"]
    )
    body = error.problem(instance="/", request_id="r")
    assert body["status"] == 422 and body["code"] == "INVALID_STATUS_TRANSITION"
    assert body["currentStatus"] == "PARKED" and body["targetStatus"] == "SUSPENDED"
    assert body["allowedTransitions"] == ["ACTIVE", "DEPROVISIONED"]


def test_problem_response_is_problem_json_with_the_error_headers() -> None:
    error = RateLimited("slow down", headers={"Retry-After": "3"})
    response = problem_response(error, instance="/v1.0/tenants", request_id="req_1")
    assert response.status_code == 429
    assert response.media_type == PROBLEM_JSON
    assert response.headers["retry-after"] == "3"
    assert json.loads(bytes(response.body))["code"] == "RATE_LIMITED"
