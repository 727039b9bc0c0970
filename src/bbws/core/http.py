"""HTTP conventions in one place: request ids, JSON access logs, body size limit, problem+json rendering."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bbws.core import patterns
from bbws.core.errors import ApiError, InternalError, PayloadTooLarge, ValidationFailed
from bbws.core.ids import new_id
from bbws.core.logs import request_id_var

log = logging.getLogger("bbws.http")

PROBLEM_JSON = "application/problem+json"
_HTTP_CODES = {
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    406: "NOT_ACCEPTABLE",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
}


def _valid_request_id(value: str) -> bool:
    # "=": API Gateway's request ids are base64 (`Jz1tQjJ0oAMEVxw=`) and the HTTP Lambdas pass them on
    return 0 < len(value) <= 128 and all(c.isalnum() or c in "-_.:=" for c in value)


def problem_response(error: ApiError, *, instance: str, request_id: str, user_agent: str | None = None) -> JSONResponse:
    headers = dict(error.headers)
    return JSONResponse(
        error.problem(instance=instance, request_id=request_id, user_agent=user_agent),
        status_code=error.status,
        headers=headers,
        media_type=PROBLEM_JSON,
    )


class _BodyTooLarge(StarletteHTTPException):
    """Raised while the body streams in; an HTTPException so that FastAPI's body parsing lets it through."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The request body is larger than {limit} bytes.")


class RequestContextMiddleware:
    """Takes or makes `X-Request-ID`, echoes it, enforces the body limit, logs one JSON line a request,
    and turns any unhandled exception into a 500 problem without internals."""

    def __init__(
        self, app: ASGIApp, *, max_body_bytes: int, body_limits: Mapping[tuple[str, str], int] | None = None
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.body_limits = dict(body_limits or {})  # (method, path) -> a larger limit (zip uploads)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given, length = "", b""
        for name, value in scope["headers"]:  # the two headers read here, without a dict of all of them
            if name == b"x-request-id":
                given = value.decode("latin-1")
            elif name == b"content-length":
                length = value
        request_id = given if _valid_request_id(given) else new_id("req")
        id_header = (b"x-request-id", request_id.encode())
        token = request_id_var.set(request_id)
        scope.setdefault("state", {})["request_id"] = request_id
        started, status, sent_start = time.perf_counter(), 500, False
        path = scope.get("path", "")
        limit = self.body_limits.get((scope.get("method", ""), path), self.max_body_bytes)

        async def send_with_id(message: Message) -> None:
            nonlocal status, sent_start
            if message["type"] == "http.response.start":
                status, sent_start = message["status"], True
                message["headers"] = [*message.get("headers", ()), id_header]
            await send(message)

        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _BodyTooLarge(limit)
            return message

        try:
            declared = int(length or 0)
        except ValueError:
            declared = 0
        try:
            if declared > limit:
                raise _BodyTooLarge(limit)
            await self.app(scope, limited_receive, send_with_id)
        except _BodyTooLarge as exc:
            if not sent_start:
                err: ApiError = PayloadTooLarge(str(exc.detail))
                await problem_response(err, instance=path, request_id=request_id)(scope, receive, send_with_id)
        except Exception:
            log.exception("unhandled error", extra={"path": path})
            if not sent_start:
                err = InternalError("The server failed to handle this request; quote the requestId to support.")
                await problem_response(err, instance=path, request_id=request_id)(scope, receive, send_with_id)
        finally:
            if log.isEnabledFor(logging.INFO):
                log.info(
                    "request",
                    extra={
                        "method": scope.get("method"),
                        "path": path,
                        "status": status,
                        "durationMs": round((time.perf_counter() - started) * 1000, 2),
                    },
                )
            request_id_var.reset(token)


def request_id_of(request: Request) -> str:
    return str(getattr(request.state, "request_id", "") or request_id_var.get())


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or str(loc[0] if loc else "body")


async def _api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return problem_response(
        exc, instance=request.url.path, request_id=request_id_of(request), user_agent=request.headers.get("user-agent")
    )


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    allowed = _allowed_methods(request)
    if allowed and request.method not in allowed:
        # A path parameter took the literal segment of another route (`GET /admin/dlq/redrive` read as the
        # messageId "redrive"): that path is the literal route's, and it does not serve this method.
        return await _http_error(request, StarletteHTTPException(405))
    errors = []
    for e in exc.errors():
        message, field = e.get("msg", "invalid"), _field(tuple(e.get("loc", ())))
        entry: dict[str, str] = {}
        if e.get("type") == "json_invalid":
            message, field = "The body is not valid JSON.", "body"
        elif e.get("type") == "string_pattern_mismatch":  # people get words; programs keep the regex
            pattern = str((e.get("ctx") or {}).get("pattern", ""))
            words = patterns.describe(pattern)
            message, entry = (f"must be {words}" if words else message), {"pattern": pattern}
        errors.append({"field": field, "message": message, **entry})
    err = ValidationFailed(
        f"{len(errors)} problem(s) with the request: " + "; ".join(f"{x['field']}: {x['message']}" for x in errors[:5]),
        errors=errors,
    )
    return problem_response(err, instance=request.url.path, request_id=request_id_of(request))


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "HTTP_ERROR")
    detail = exc.detail if isinstance(exc.detail, str) else json.dumps(exc.detail)
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"No resource at {request.url.path}."
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        allowed = _allowed_methods(request)
        headers["Allow"] = ", ".join(allowed)
        detail = f"{request.method} is not allowed on {request.url.path}; use {', '.join(allowed)}."
    err = ApiError(detail, code=code, status=exc.status_code, title=code.replace("_", " ").capitalize(),
                   headers=headers)
    return problem_response(err, instance=request.url.path, request_id=request_id_of(request))


def _allowed_methods(request: Request) -> list[str]:
    """Every method the routes of this path serve (Starlette's own 405 names only the first route's). Where a
    literal route and a parameter route both match (`/admin/dlq/redrive`, `/admin/dlq/{messageId}`), the path is
    the literal route's: only the routes with the fewest parameters count."""
    table = getattr(request.app.state, "route_methods", None)
    if table is None:
        table = []
        for ctx in iter_route_contexts(request.app.routes):
            methods = getattr(ctx, "methods", None) or getattr(ctx.route, "methods", None)
            if ctx.path and methods:
                table.append((compile_path(ctx.path)[0], set(methods), ctx.path.count("{")))
        request.app.state.route_methods = table
    matches = [(params, m) for regex, m, params in table if regex.match(request.url.path)]
    fewest = min((params for params, _ in matches), default=0)
    return sorted(set().union(*(m for params, m in matches if params == fewest)))


def install(
    app: FastAPI, *, max_body_bytes: int, body_limits: Mapping[tuple[str, str], int] | None = None
) -> None:
    """Register the error handlers and the request-context middleware on an app (`body_limits`: routes that
    take larger bodies than `max_body_bytes`, by method and path)."""
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_middleware(RequestContextMiddleware, max_body_bytes=max_body_bytes, body_limits=body_limits)
