"""The one link builder: `_links` maps a relation to `{"href": "/v1.0/..."}` (actions add their `method`)."""

from __future__ import annotations

from typing import Any

API_PREFIX = "/v1.0"


def href(*parts: str) -> str:
    return API_PREFIX + "".join(f"/{p}" for p in parts)


def act(url: str, method: str = "POST") -> dict[str, str]:
    """A link to an action: where to send it and with which method."""
    return {"href": url, "method": method}


def links(**relations: str | dict[str, str] | None) -> dict[str, Any]:
    """Build `_links`, skipping relations that are None (actions the current state does not allow)."""
    return {
        name: ({"href": value} if isinstance(value, str) else value)
        for name, value in relations.items()
        if value is not None
    }
