"""The house conventions on top of FastAPI's spec: bearer auth, problem+json errors with examples built by the
real error classes, shared error responses, `Location` on creates, request and response examples."""

from __future__ import annotations

import copy
import re
from typing import Any

from bbws.core import errors
from bbws.core.schemas import PROBLEM_RESPONSES
from bbws.openapi.downgrade import operations

BEARER = {
    "type": "http",
    "scheme": "bearer",
    "bearerFormat": "JWT",
    "description": "An RS256 JWT from the BBWS issuer (`bbws token create`) or the Cognito user pool.",
}
PROBLEM_JSON = "application/problem+json"
# Error answers that read the same on every route (see PROBLEM_RESPONSES) become shared components.
SHARED_RESPONSES = {
    str(status): (name, str(PROBLEM_RESPONSES[status]["description"]))
    for status, name in {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 413: "PayloadTooLarge",
                         429: "RateLimited"}.items()
}
HEADERS: dict[str, Any] = {
    "Location": {"description": "URL of the resource made.", "required": True, "schema": {"type": "string"}},
    "Retry-After": {"description": "Seconds to wait before retrying.", "required": True,
                    "schema": {"type": "integer", "minimum": 0}},
    "RateLimit-Limit": {"description": "Requests allowed in a burst.", "schema": {"type": "integer"}},
    "RateLimit-Remaining": {"description": "Requests left in the current window.", "schema": {"type": "integer"}},
    "RateLimit-Reset": {"description": "Seconds until the allowance is full again.", "schema": {"type": "integer"}},
}
SAMPLE_ID = "01jd3m8x2v9k4q7r5t6w8y0z1a"


def apply_conventions(spec: dict[str, Any]) -> dict[str, Any]:
    """Bearer auth, problem+json errors with examples, request and response examples."""
    components = spec.setdefault("components", {})
    schemes = components.pop("securitySchemes", {})
    if set(schemes) - {"HTTPBearer"}:
        raise ValueError(f"unknown security schemes {sorted(schemes)}: teach bbws.openapi about them")
    components["securitySchemes"] = {"bearerAuth": dict(BEARER)}
    spec["security"] = [{"bearerAuth": []}]
    schemas = components.get("schemas", {})
    for path, _, op in operations(spec):
        if "security" in op:
            del op["security"]  # the document-wide requirement
        else:
            op["security"] = []  # the route asks for no token
        for status in list(op.get("responses", {})):
            response = op["responses"][status]
            if _is_fastapi_validation(response):
                del op["responses"][status]  # FastAPI's 422; validation errors here are 400 problems
            elif status in SHARED_RESPONSES and response.get("description") == SHARED_RESPONSES[status][1]:
                op["responses"][status] = {"$ref": f"#/components/responses/{SHARED_RESPONSES[status][0]}"}
            elif status[0] in "45":
                response["content"] = _problem_content(response, int(status), path, op)
            else:
                for media in response.get("content", {}).values():
                    _add_example(media, schemas)
                if status == "201":  # synchronous creates say where the new resource is
                    response.setdefault("headers", {})["Location"] = {"$ref": "#/components/headers/Location"}
        for media in op.get("requestBody", {}).get("content", {}).values():
            _add_example(media, schemas)
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    components["responses"] = _shared_responses()
    components["headers"] = copy.deepcopy(HEADERS)
    return spec


def _shared_responses() -> dict[str, Any]:
    """The errors every route can answer, once per document instead of once per operation."""
    shared = {}
    for status, (name, description) in SHARED_RESPONSES.items():
        response = {"description": description, "content": _problem_content({}, int(status), "/v1.0/tenants", {})}
        if status == "429":
            response["headers"] = {h: {"$ref": f"#/components/headers/{h}"} for h in HEADERS if h != "Location"}
        shared[name] = response
    return shared


def _is_fastapi_validation(response: dict[str, Any]) -> bool:
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    return bool(schema.get("$ref", "").endswith("/HTTPValidationError"))


def _problem_content(response: dict[str, Any], status: int, path: str, op: dict[str, Any]) -> dict[str, Any]:
    content = response.get("content", {})
    schema = next((m["schema"] for m in content.values() if "schema" in m), {"$ref": "#/components/schemas/Problem"})
    ids = {p["name"]: _sample_id(p) for p in op.get("parameters", ()) if p.get("in") == "path"}
    error = _sample_error(status, ids, response.get("description", ""))
    example = error.problem(instance=path.format(**ids), request_id=f"req_{SAMPLE_ID}")
    return {PROBLEM_JSON: {"schema": schema, "example": example}}


def _sample_id(parameter: dict[str, Any]) -> str:
    """An id that fits the parameter's pattern (`ten_...` for `^ten_[0-9a-z]{26}$`)."""
    pattern = parameter.get("schema", {}).get("pattern", "")
    prefix = re.fullmatch(r"\^([a-z]+_)\[0-9a-z\]\{26\}\$", pattern)
    candidates = [f"{prefix.group(1) if prefix else ''}{SAMPLE_ID}", f"{parameter['name']}-1", SAMPLE_ID * 2]
    return next((c for c in candidates if not pattern or re.search(pattern, c)), candidates[1])


_CLASSES: dict[int, type[errors.ApiError]] = {
    400: errors.ValidationFailed, 401: errors.Unauthorized, 403: errors.Forbidden, 404: errors.NotFound,
    409: errors.Conflict, 410: errors.Gone, 412: errors.PreconditionFailed, 413: errors.PayloadTooLarge,
    422: errors.UnprocessableEntity, 429: errors.RateLimited,
}
_SAMPLES: dict[int, errors.ApiError] = {
    400: errors.ValidationFailed(
        "1 problem(s) with the request: contactEmail: value is not a valid email address",
        errors=[{"field": "contactEmail", "message": "value is not a valid email address"}],
    ),
    401: errors.Unauthorized("Send `Authorization: Bearer <token>`."),
    403: errors.Forbidden("Your role does not allow this action here."),
    412: errors.PreconditionFailed(
        'If-Match "3" does not match the current version "4"; read it again and retry.', currentETag='"4"'
    ),
    413: errors.PayloadTooLarge("The request body is larger than 1048576 bytes."),
    429: errors.RateLimited("Too many requests; retry in 2 s."),
}
_CODE = re.compile(r"\b([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)\b")


def _sample_error(status: int, ids: dict[str, str], description: str) -> errors.ApiError:
    """A problem for a status, made by the real error classes; its `code` is the first one the route's
    description names (`INVITATION_EXPIRED: ...`), so the example says what the route says."""
    named = _CODE.search(description)
    code = named.group(1) if named else None
    sample = _SAMPLES.get(status)
    if sample is not None and code in (None, sample.code):
        return sample
    if code == "INVALID_STATUS_TRANSITION":
        return errors.InvalidTransition(resource="Tenant", current="DEPROVISIONED", target="ACTIVE", allowed=[])
    if status == 404 and code is None and ids:
        name, ident = list(ids.items())[-1]
        return errors.not_found(name.removesuffix("Id"), ident)
    cls = _CLASSES.get(status, errors.ApiError)
    detail = description.rstrip(".") + "." if description else "See the route's description."
    return cls(detail, code=code or cls.code, status=status)


def _add_example(media: dict[str, Any], schemas: dict[str, Any]) -> None:
    if "example" in media or "examples" in media:
        return
    sample = _example_of(media.get("schema", {}), schemas, depth=0)
    if sample is not None:
        media["example"] = sample


def _example_of(schema: dict[str, Any], schemas: dict[str, Any], depth: int) -> Any:
    """An example from the model's own examples and defaults; None unless every required property has one."""
    if depth > 8:
        return None
    if "example" in schema:
        return schema["example"]
    if "$ref" in schema:
        return _example_of(schemas.get(schema["$ref"].rpartition("/")[2], {}), schemas, depth + 1)
    if len(schema.get("allOf", ())) == 1:
        inner = _example_of(schema["allOf"][0], schemas, depth + 1)
        return schema.get("default") if inner is None else inner
    if "default" in schema:
        return schema["default"]
    if schema.get("type") == "object" and schema.get("properties"):
        sample = {}
        for name, sub in schema["properties"].items():
            value = _example_of(sub, schemas, depth + 1)
            if value is None and name in schema.get("required", ()):
                return None
            if value is not None:
                sample[name] = value
        return sample or None
    return None
