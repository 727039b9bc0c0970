"""Shared API schemas: the problem body, `_links`, pages, and the base model every request body uses."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

# Names and one-line labels: no control characters. Free text (descriptions) may hold tabs and line breaks.
NAME_PATTERN = r"^[^\x00-\x1f\x7f]*$"
TEXT_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"


class RequestModel(BaseModel):
    """Request bodies: unknown fields are refused, strings are stripped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Link(BaseModel):
    href: str
    method: str | None = None


class FieldError(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details, with the BBWS `code` and `requestId`."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    instance: str
    code: str = Field(examples=["TENANT_NOT_FOUND"])
    requestId: str
    errors: list[FieldError] | None = None


def page_of(model: type[BaseModel]) -> type[BaseModel]:
    """A `{items, startAt, moreAvailable, _links}` schema for a list of `model`."""
    fields: dict[str, Any] = {
        "items": (list[model], ...),  # type: ignore[valid-type]
        "startAt": (str | None, Field(None, description="Cursor of the next page; null on the last page.")),
        "moreAvailable": (bool, ...),
        "links": (dict[str, Link], Field(alias="_links")),
    }
    from pydantic import create_model

    return create_model(f"{model.__name__}Page", __base__=BaseModel, **fields)


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "description": text, "content": {"application/problem+json": {}}}
    for status, text in {
        400: "Invalid request (VALIDATION_ERROR, INVALID_PAGINATION_TOKEN)",
        401: "Missing or invalid bearer token",
        403: "Authenticated, but the role or token scope does not allow this",
        404: "Not found, or not visible to this caller",
        413: "Request body too large",
        429: "Rate limited; see Retry-After",
    }.items()
}
