"""The one paginator: opaque, signed cursors bound to the list and filter they came from."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from bbws.core.cursors import CursorCodec, list_scope
from bbws.core.store import Item, Page

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


class PageParams(BaseModel):
    page_size: int
    start_at: str | None


async def page_params(  # async: no I/O, so no threadpool round trip per list request
    pageSize: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="Items per page (1..100).")] = DEFAULT_PAGE_SIZE,
    startAt: Annotated[
        str | None, Query(max_length=2048, description="Opaque cursor from the previous page's `startAt`.")
    ] = None,
) -> PageParams:
    return PageParams(page_size=pageSize, start_at=startAt)


def with_query(path: str, params: Mapping[str, Any]) -> str:
    query = urlencode([(k, str(v)) for k, v in params.items() if v is not None])
    return f"{path}?{query}" if query else path


def render_page(
    page: Page,
    *,
    codec: CursorCodec,
    path: str,
    filters: Mapping[str, Any],
    page_size: int,
    render: Callable[[Item], dict[str, Any]],
    items: Iterable[Item] | None = None,
) -> JSONResponse:
    """`{items, startAt, moreAvailable, _links}` for one store page (`items` overrides the rendered rows)."""
    next_cursor = codec.encode(page.last_key, list_scope(path, filters)) if page.last_key else None
    base = {**filters, "pageSize": page_size}
    links: dict[str, Any] = {"self": {"href": with_query(path, base)}}
    if next_cursor:
        links["next"] = {"href": with_query(path, {**base, "startAt": next_cursor})}
    return JSONResponse(
        {
            "items": [render(it) for it in (page.items if items is None else items)],
            "startAt": next_cursor,
            "moreAvailable": next_cursor is not None,
            "_links": links,
        }
    )
