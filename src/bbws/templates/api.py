"""Template routes for every user: browse the catalog (published templates; everything for platform admins) and
preview a template."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import Body, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from bbws.core.authorizer import Authorizer
from bbws.core.deps import ActorDep, Authz, Ctr, Pages
from bbws.core.errors import Forbidden, NotFound, ValidationFailed
from bbws.core.pagination import render_page
from bbws.core.router import api_router, etag, not_modified
from bbws.core.schemas import page_of
from bbws.jobs.api import accepted
from bbws.jobs.schemas import OperationPublic
from bbws.templates import keys, previews, service
from bbws.templates.models import (
    CATEGORY_PATTERN,
    TemplateStatus,
)
from bbws.templates.platform import preview_spec
from bbws.templates.schemas import (
    PreviewPublic,
    PreviewRequest,
    TemplatePublic,
    TemplateVersionPublic,
)
from bbws.templates.views import preview_public, template_public, version_public

router = api_router("Templates")
log = logging.getLogger("bbws.templates")

TemplateRef = Annotated[str, Path(max_length=64, description="Template id (`tpl_...`) or slug, optionally `@N`.")]
TemplatePage = page_of(TemplatePublic)
VersionPage = page_of(TemplateVersionPublic)
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "TEMP_001: no such template or version (or not visible to this caller)"}
}
ADMIN = "templates:write"  # only platform admins hold it (no tenant role grants it)


def _platform_admin(authz: Authorizer) -> bool:
    return authz.allowed(ADMIN)


@router.get("/templates", response_model=TemplatePage, summary="List templates")
def list_templates(
    request: Request,
    ctr: Ctr,
    authz: Authz,
    pages: Pages,
    status: Annotated[
        TemplateStatus | None, Query(description="Platform admins only (others always see PUBLISHED).")
    ] = None,
    category: Annotated[str | None, Query(pattern=CATEGORY_PATTERN, description="Only this category.")] = None,
) -> JSONResponse:
    """Published templates, by slug. Platform admins see every template, or those of one `status`."""
    admin = _platform_admin(authz)
    if not admin and status not in (None, TemplateStatus.PUBLISHED):
        raise Forbidden("Only platform admins may list templates that are not published.")
    if not admin:
        status = TemplateStatus.PUBLISHED
    filters = {"status": status.value if status else None, "category": category}
    scope = {k: v for k, v in filters.items() if v}
    start = ctr.cursors.start_of(pages.start_at, request.url.path, scope)
    page = service.list_templates(
        store=ctr.store, status=status, category=category, limit=pages.page_size, start_after=start
    )
    return render_page(
        page,
        codec=ctr.cursors,
        path=request.url.path,
        filters=scope,
        page_size=pages.page_size,
        render=lambda item: template_public(item, platform_admin=admin),
    )


@router.get(
    "/templates/{templateRef}",
    response_model=TemplatePublic,
    summary="Get a template",
    responses={**NOT_FOUND, 304: {"description": "Not modified (If-None-Match)"}},
)
def get_template(templateRef: TemplateRef, request: Request, ctr: Ctr, authz: Authz) -> Response:
    """By id or slug; `business@2` describes version 2. Unpublished templates and versions are visible to
    platform admins only."""
    admin = _platform_admin(authz)
    template, version = service.visible_template(store=ctr.store, ref=templateRef, platform_admin=admin)
    body = template_public(template, version=version, platform_admin=admin)
    return not_modified(request, template) or JSONResponse(body, headers={"ETag": etag(template)})


@router.get(
    "/templates/{templateRef}/versions",
    response_model=VersionPage,
    summary="List a template's versions",
    responses=NOT_FOUND,
)
def list_versions(templateRef: TemplateRef, request: Request, ctr: Ctr, authz: Authz, pages: Pages) -> JSONResponse:
    """Newest first. Users see PUBLISHED versions; platform admins see every version."""
    admin = _platform_admin(authz)
    template, _ = service.visible_template(store=ctr.store, ref=templateRef, platform_admin=admin)
    filters = {} if admin else {"status": TemplateStatus.PUBLISHED.value}
    start = ctr.cursors.start_of(pages.start_at, request.url.path, filters)
    page = ctr.store.query(
        keys.PK,
        sk_prefix=keys.versions_prefix(template["templateId"]),
        limit=pages.page_size,
        start_after=start,
        descending=True,
        filters=filters or None,
    )
    return render_page(
        page,
        codec=ctr.cursors,
        path=request.url.path,
        filters=filters,
        page_size=pages.page_size,
        render=lambda item: version_public(item, platform_admin=admin),
    )


@router.post(
    "/templates/{templateRef}/preview",
    status_code=202,
    response_model=OperationPublic,
    summary="Make a template's preview site",
    responses=NOT_FOUND,
)
def create_preview(
    templateRef: TemplateRef,
    ctr: Ctr,
    authz: Authz,
    actor: ActorDep,
    body: Annotated[PreviewRequest | None, Body()] = None,
) -> JSONResponse:
    """A running site built from the version (default: the current one), shared by everyone and made once;
    `GET .../preview` shows its URL. It is a fresh import whose administrator password is thrown away, so nobody
    can sign in to change it. The Operation is filed under `tenantId` (platform staff may omit it)."""
    body = body or PreviewRequest()
    admin = _platform_admin(authz)
    if body.version is not None and "@" in templateRef:
        raise ValidationFailed(
            "Name the version once: in the path (`slug@N`) or in the body.",
            errors=[{"field": "version", "message": "also named in the path"}],
        )
    ref = templateRef if body.version is None else f"{templateRef}@{body.version}"
    template, version = service.visible_template(store=ctr.store, ref=ref, platform_admin=admin)
    if body.tenantId is not None:
        authz.require("templates:read", tenant_id=body.tenantId)
        tenant_id = body.tenantId
    elif authz.principal.platform_role:
        tenant_id = keys.PLATFORM_TENANT
    else:
        raise ValidationFailed(
            "Send `tenantId`: the preview Operation is filed under one of your tenants.",
            errors=[{"field": "tenantId", "message": "required for callers without a platform role"}],
        )
    operation = previews.request_preview(
        store=ctr.store,
        clock=ctr.clock,
        actor=actor,
        template=template,
        number=service.preview_number(template, version, platform_admin=admin),
        tenant_id=tenant_id,
    )
    return accepted(operation, wake=ctr.wake)


@router.get(
    "/templates/{templateRef}/preview",
    response_model=PreviewPublic,
    summary="Get a template's preview",
    responses={404: {"description": "TEMP_001 (no such template), or PREVIEW_NOT_FOUND (none made yet)"}},
)
def get_preview(templateRef: TemplateRef, ctr: Ctr, authz: Authz) -> JSONResponse:
    """The preview of the version (default: the current one): its URL once READY."""
    admin = _platform_admin(authz)
    template, version = service.visible_template(store=ctr.store, ref=templateRef, platform_admin=admin)
    number = service.preview_number(template, version, platform_admin=admin)
    preview = previews.get_preview(store=ctr.store, template_id=template["templateId"], number=number)
    if preview is None:
        raise NotFound(
            f"Template {template['slug']} version {number} has no preview yet; POST to make one.",
            code="PREVIEW_NOT_FOUND",
        )
    return JSONResponse(preview_public(preview, answering=_answering(ctr, preview)))


def _answering(ctr: Ctr, preview: dict[str, Any]) -> bool | None:
    """Whether the preview instance serves now (None when the runtime cannot say, or it is not made yet)."""
    if preview["status"] != previews.READY:
        return None
    try:
        driver = ctr.runtime.get()
        if not driver.reports_live_status:
            return None
        return driver.status(preview_spec(driver)).answering
    except Exception:  # a runtime that cannot be asked leaves the stored status as it is, never a 500
        log.warning("preview instance status could not be read", exc_info=True)
        return None
