"""Shared API schemas: the problem body, `_links`, pages, and the base model every request body uses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, EmailStr, Field, WithJsonSchema

# Names and one-line labels: no control characters. Free text (descriptions) may hold tabs and line breaks.
NAME_PATTERN = r"^[^\x00-\x1f\x7f]*$"
TEXT_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
# What stripping removes (Unicode White_Space): request strings are stripped before their minimum length counts.
_BLANK = "\\t\\n\\x0b\\x0c\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"


def visible_pattern(min_chars: int, *, text: bool = False) -> str:
    """NAME_PATTERN (or TEXT_PATTERN) that also needs `min_chars` (1 or 2) characters left after stripping, so
    a value the spec allows is one the server keeps (`" "` is not a name)."""
    allowed = (TEXT_PATTERN if text else NAME_PATTERN)[1:-3]  # "[^...", the class before its "]*$"
    other = allowed + "]*"
    ink = f"{allowed}{_BLANK}]"
    core = ink if min_chars <= 1 else f"{ink}{other}{ink}"
    return f"^{other}{core}{other}$"


def _any_case(word: str) -> str:
    return "".join(f"[{c}{c.upper()}]" for c in word)


# EmailStr (email-validator) refuses the special-use names of IANA's registry and their subdomains; the spec says so
# with a pattern next to `format: email`, so an address valid by the spec is one the server takes.
_SPECIAL_USE = ("arpa", "invalid", "local", "localhost", "onion", "test")
EMAIL_PATTERN = rf"^(?![^@]*@(?:.*\.)?(?:{'|'.join(map(_any_case, _SPECIAL_USE))})\.?$)"
Email = Annotated[
    EmailStr,
    WithJsonSchema({
        "type": "string", "format": "email", "pattern": EMAIL_PATTERN,
        "description": "An email address; special-use domains (.test, .invalid, .localhost, .local, .onion, .arpa) "
        "are refused.",
    }),
]


class RequestModel(BaseModel):
    """Request bodies: unknown fields are refused, strings are stripped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def body_rules(
    *, not_null: tuple[str, ...] = (), one_of: tuple[str, ...] = (), at_most_one: tuple[str, ...] = (),
    min_properties: int | None = None,
) -> Callable[[dict[str, Any]], None]:
    """A `json_schema_extra` that says in the spec what a body's validators enforce, so a request valid by the
    spec is one the server takes: `not_null` optional fields that may be left out but not sent as null,
    `one_of` fields of which exactly one is sent, `at_most_one` fields never sent together, `min_properties`."""

    def apply(schema: dict[str, Any]) -> None:
        properties = schema.get("properties", {})
        for name in not_null:
            prop = properties[name]
            branches = [b for b in prop.pop("anyOf", ()) if b.get("type") != "null"]
            prop.pop("default", None)
            if branches:
                prop.update(branches[0] if len(branches) == 1 else {"anyOf": branches})
        if one_of:
            schema["oneOf"] = [{"required": [name]} for name in one_of]
        if at_most_one:
            schema["not"] = {"required": list(at_most_one)}
        if min_properties is not None:
            schema["minProperties"] = min_properties

    return apply


def refuse_nulls(model: BaseModel, *names: str) -> None:
    """The server side of `body_rules(not_null=...)`: a field sent as null is refused, not taken as left out."""
    sent_null = [name for name in names if name in model.model_fields_set and getattr(model, name) is None]
    if sent_null:
        raise ValueError(f"{', '.join(sent_null)} cannot be null; leave it out instead")


class Link(BaseModel):
    href: str
    method: str | None = None


class FieldError(BaseModel):
    field: str
    message: str = Field(description="What is wrong, in words (a pattern is described, not quoted).")
    pattern: str | None = Field(
        None, description="The regular expression the value must match, when that is what it failed."
    )


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
    hint: str | None = Field(
        default=None,
        description="The next step, when there is an obvious one: the `bbws` command when the caller is the CLI "
        "(User-Agent `bbws-cli/...`), else the API call.",
    )


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
