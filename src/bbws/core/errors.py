"""The one error hierarchy: every failure the API reports is an `ApiError` rendered as RFC 9457 problem+json."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

PROBLEM_BASE = "https://docs.bbws.io/problems/"
CLI_AGENT = "bbws-cli/"  # how the `bbws` command names itself in User-Agent


@dataclass(frozen=True)
class Hint:
    """The next step after an error, in both forms a caller may take it: the API call and the `bbws` command;
    which one a problem shows is chosen when it is rendered, from the request's User-Agent."""

    http: str
    cli: str

    def for_agent(self, user_agent: str | None) -> str:
        return self.cli if (user_agent or "").startswith(CLI_AGENT) else self.http


class ApiError(Exception):
    """A failure with an HTTP status and a stable `code`; `extra` members are added to the problem body."""

    status: int = 500
    code: str = "INTERNAL_ERROR"
    title: str = "Internal error"

    def __init__(
        self,
        detail: str,
        *,
        code: str | None = None,
        status: int | None = None,
        title: str | None = None,
        errors: Iterable[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
        hint: Hint | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.hint = hint
        if code:
            self.code = code
        if status:
            self.status = status
        if title:
            self.title = title
        self.errors = list(errors) if errors else None
        self.headers = headers or {}
        self.extra = extra

    def problem(self, *, instance: str, request_id: str, user_agent: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": PROBLEM_BASE + self.code.lower().replace("_", "-"),
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "instance": instance,
            "code": self.code,
            "requestId": request_id,
        }
        if self.errors is not None:
            body["errors"] = self.errors
        if self.hint is not None:
            body["hint"] = self.hint.for_agent(user_agent)
        body.update(self.extra)
        return body


class ValidationFailed(ApiError):
    status, code, title = 400, "VALIDATION_ERROR", "Request validation failed"


class Unauthorized(ApiError):
    status, code, title = 401, "UNAUTHORIZED", "Authentication required"

    def __init__(self, detail: str, **kw: Any) -> None:
        kw.setdefault("headers", {"WWW-Authenticate": 'Bearer realm="bbws"'})
        super().__init__(detail, **kw)


class Forbidden(ApiError):
    status, code, title = 403, "FORBIDDEN", "Not allowed"


class NotFound(ApiError):
    status, code, title = 404, "NOT_FOUND", "Resource not found"


class Conflict(ApiError):
    status, code, title = 409, "CONFLICT", "Conflict"


class Gone(ApiError):
    status, code, title = 410, "GONE", "Gone"


class PreconditionFailed(ApiError):
    status, code, title = 412, "PRECONDITION_FAILED", "Precondition failed"


class PayloadTooLarge(ApiError):
    status, code, title = 413, "PAYLOAD_TOO_LARGE", "Request body too large"


class UnprocessableEntity(ApiError):
    status, code, title = 422, "UNPROCESSABLE", "Request cannot be processed"


class InvalidTransition(UnprocessableEntity):
    code, title = "INVALID_STATUS_TRANSITION", "Invalid status transition"

    def __init__(self, *, resource: str, current: str, target: str, allowed: Iterable[str], **kw: Any) -> None:
        allowed_list = sorted(allowed)
        super().__init__(
            f"{resource} is {current}; it cannot move to {target}. Allowed: {', '.join(allowed_list) or 'none'}.",
            currentStatus=current,
            targetStatus=target,
            allowedTransitions=allowed_list,
            **kw,
        )


class RateLimited(ApiError):
    status, code, title = 429, "RATE_LIMITED", "Too many requests"


class InternalError(ApiError):
    status, code, title = 500, "INTERNAL_ERROR", "Internal error"


def not_found(kind: str, ident: str) -> NotFound:
    """`TENANT_NOT_FOUND`-style 404 for a resource kind."""
    return NotFound(f"{kind.capitalize()} {ident} was not found.", code=f"{kind.upper()}_NOT_FOUND")
