"""Plugin catalog routes: list, get, upload (raw zip body), blocklist/flag, delete (thin: parse, authorize, call)."""

from __future__ import annotations

import tempfile
from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import Path, Query, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from bbws.core.authorizer import Authorizer, scope_allows
from bbws.core.deps import ActorDep, Authz, Ctr, Pages
from bbws.core.errors import ApiError, Forbidden
from bbws.core.files import open_private
from bbws.core.links import href
from bbws.core.pagination import render_page
from bbws.core.router import api_router, check_if_match, etag, not_modified
from bbws.core.schemas import page_of
from bbws.plugins import catalog, models
from bbws.plugins.package import too_large
from bbws.plugins.schemas import PluginPublic, PluginUpdate
from bbws.plugins.views import plugin_public

router = api_router("Plugins")

PluginId = Annotated[str, Path(pattern=models.PLUGIN_ID_PATTERN, description="Catalog entry id (`plg_...`).")]
PluginPage = page_of(PluginPublic)
# Generated clients (openapi-python-client, fetch wrappers) send raw bytes as octet-stream; the body is inspected
# as a zip whatever the label says.
ZIP_TYPES = ("application/zip", "application/x-zip-compressed", "application/octet-stream")
CHUNK = 1 << 16
ADMIN = "plugins:write"  # only platform admins hold it: tenant roles never do, other platform roles read only
WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    409: {"description": "PLUG_004: changed meanwhile"},
    412: {"description": "If-Match does not match"},
}
# The spec names octet-stream only: every client generator sends raw bytes under it, while `application/zip` is
# unknown to some (openapi-python-client skips the route, and with both types listed writes a broken call).
UPLOAD_BODY = {
    "required": True,
    "description": "The plugin or theme as a zip: one top-level folder named by its slug. Sent as "
    "`application/octet-stream`; `application/zip` and `application/x-zip-compressed` are accepted too.",
    "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
}


class UnsupportedMediaType(ApiError):
    status, code, title = 415, "UNSUPPORTED_MEDIA_TYPE", "Unsupported media type"


def _require_reader(authz: Authorizer) -> None:
    """Every signed-in user may read the catalog (sites are built from it), unless the token's scopes say no."""
    if not scope_allows(authz.principal, "plugins:read"):
        raise Forbidden("This token's scopes do not include plugins:read.")


def _response(item: dict[str, Any], *, admin: bool, status_code: int = 200, **headers: str) -> JSONResponse:
    return JSONResponse(
        plugin_public(item, admin=admin), status_code=status_code, headers={"ETag": etag(item), **headers}
    )


@router.get("/plugins", response_model=PluginPage, summary="List the plugin and theme catalog")
def list_plugins(
    request: Request,
    ctr: Ctr,
    authz: Authz,
    pages: Pages,
    kind: Annotated[models.Kind | None, Query(description="Only plugins, or only themes.")] = None,
    slug: Annotated[str | None, Query(pattern=models.SLUG_PATTERN, description="Only this slug's versions.")] = None,
) -> JSONResponse:
    """Every signed-in user sees the entries that can be installed; platform admins also see blocklisted ones."""
    _require_reader(authz)
    admin = authz.allowed(ADMIN)
    filters = {k: v for k, v in {"kind": kind, "slug": slug}.items() if v}
    start = ctr.cursors.start_of(pages.start_at, request.url.path, filters)
    page = catalog.list_entries(
        store=ctr.store, kind=kind, slug=slug, include_blocklisted=admin, limit=pages.page_size, start_after=start
    )
    return render_page(
        page,
        codec=ctr.cursors,
        path=request.url.path,
        filters=filters,
        page_size=pages.page_size,
        render=lambda item: plugin_public(item, admin=admin),
    )


@router.post(
    "/plugins",
    status_code=201,
    response_model=PluginPublic,
    summary="Upload a plugin or theme zip (platform admins)",
    openapi_extra={"requestBody": UPLOAD_BODY},
    responses={
        409: {"description": "PLUG_004: this kind, slug and version is already in the catalog"},
        413: {"description": "PLUGIN_PACKAGE_TOO_LARGE: the zip, or what it unpacks to, is over the limit"},
        415: {"description": "UNSUPPORTED_MEDIA_TYPE: send `Content-Type: application/zip` (or octet-stream)"},
        422: {"description": "PLUGIN_PACKAGE_INVALID (not a zip, no header, unsafe paths...), or PLUG_002"},
    },
)
async def upload_plugin(request: Request, ctr: Ctr, authz: Authz, actor: ActorDep) -> JSONResponse:
    """The body is the zip itself. It is inspected (one slug folder, a plugin or theme header with a Version,
    no unsafe paths or links, size limits) before anything is stored."""
    authz.require(ADMIN)
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in ZIP_TYPES:
        raise UnsupportedMediaType(
            f"Send the zip as the body with Content-Type: application/zip or application/octet-stream "
            f"(got {media_type!r})."
        )
    with tempfile.TemporaryDirectory(prefix="bbws-plugin-") as folder:
        source = FilePath(folder) / "upload.zip"
        await _receive(request, source, ctr.settings.plugin_max_bytes)
        item = await run_in_threadpool(
            lambda: catalog.upload_package(
                store=ctr.store,
                artifacts=ctr.artifacts,
                clock=ctr.clock,
                actor=actor,
                settings=ctr.settings,
                source=source,
            )
        )
    return _response(item, admin=True, status_code=201, Location=href("plugins", item["pluginId"]))


async def _receive(request: Request, dest: FilePath, limit: int) -> None:
    """Stream the body to `dest`, stopping as soon as it is over `limit` (never held whole in memory)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large(f"The package is {declared} bytes; the limit is {limit} bytes.")
    received = 0
    with open_private(dest) as out:
        async for chunk in request.stream():
            received += len(chunk)
            if received > limit:
                raise too_large(f"The package is over the limit of {limit} bytes.")
            out.write(chunk)


@router.get(
    "/plugins/{pluginId}",
    response_model=PluginPublic,
    summary="Get a catalog entry",
    responses={304: {"description": "Not modified (If-None-Match)"}},
)
def get_plugin(pluginId: PluginId, request: Request, ctr: Ctr, authz: Authz) -> Response:
    """404 PLUG_001 when there is no such entry (or it is blocklisted and the caller is not a platform admin)."""
    _require_reader(authz)
    admin = authz.allowed(ADMIN)
    item = catalog.get_entry(store=ctr.store, plugin_id=pluginId)
    if item["blocklisted"] and not admin:
        raise models.plugin_not_found(pluginId)
    return not_modified(request, item) or _response(item, admin=admin)


@router.put(
    "/plugins/{pluginId}",
    response_model=PluginPublic,
    summary="Blocklist or flag a catalog entry",
    responses={**WRITE_ERRORS, 422: {"description": "NOTHING_TO_UPDATE"}},
)
def update_plugin(
    pluginId: PluginId, body: PluginUpdate, request: Request, ctr: Ctr, authz: Authz, actor: ActorDep
) -> JSONResponse:
    """Set `blocklisted` and/or the known `vulnerabilities` (a non-empty list marks the version vulnerable)."""
    authz.require(ADMIN)
    item = catalog.get_entry(store=ctr.store, plugin_id=pluginId)
    check_if_match(request, item)
    vulnerabilities = None if body.vulnerabilities is None else [v.model_dump() for v in body.vulnerabilities]
    updated = catalog.update_entry(
        store=ctr.store,
        clock=ctr.clock,
        actor=actor,
        entry=item,
        blocklisted=body.blocklisted,
        vulnerabilities=vulnerabilities,
    )
    return _response(updated, admin=True)


@router.delete(
    "/plugins/{pluginId}", status_code=204, summary="Remove a catalog entry and its zip", responses=WRITE_ERRORS
)
def delete_plugin(pluginId: PluginId, request: Request, ctr: Ctr, authz: Authz, actor: ActorDep) -> Response:
    """Sites that installed it keep their copy; it can no longer be installed."""
    authz.require(ADMIN)
    item = catalog.get_entry(store=ctr.store, plugin_id=pluginId)
    check_if_match(request, item)
    catalog.delete_entry(store=ctr.store, artifacts=ctr.artifacts, clock=ctr.clock, actor=actor, entry=item)
    return Response(status_code=204)


def body_limits(settings: Any) -> dict[tuple[str, str], int]:
    """Routes whose bodies may be larger than `max_body_bytes` (the zip upload), for the request middleware."""
    return {("POST", href("plugins")): settings.plugin_max_bytes}
