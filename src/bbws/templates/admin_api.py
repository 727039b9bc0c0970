"""Template management routes for platform admins: update, publish, archive and delete (making a template or a
version from a site is the sites context's: `bbws.sites.templating_api`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Body, Path, Request, Response
from fastapi.responses import JSONResponse

from bbws.core.authorizer import Authorizer
from bbws.core.changes import Actor
from bbws.core.deps import ActorDep, Authz, Ctr
from bbws.core.errors import UnprocessableEntity, ValidationFailed
from bbws.core.router import api_router, check_if_match, etag
from bbws.templates import records, service
from bbws.templates.api import ADMIN, NOT_FOUND
from bbws.templates.models import TemplateStatus, parse_ref, template_not_found
from bbws.templates.schemas import TemplatePublic, TemplateUpdate, VersionChoice
from bbws.templates.views import template_public

admin_router = api_router("Templates")
AdminRef = Annotated[str, Path(max_length=64, description="Template id (`tpl_...`) or slug.")]


def admin_load(ctr: Ctr, authz: Authorizer, ref: str) -> dict[str, Any]:
    authz.require(ADMIN)
    parsed = parse_ref(ref)
    if parsed.version is not None:
        raise template_not_found(ref)
    template = records.find_template(store=ctr.store, ref=parsed)
    if template is None:
        raise template_not_found(ref)
    return template


def _template_response(template: dict[str, Any], *, version: dict[str, Any] | None = None) -> JSONResponse:
    body = template_public(template, version=version, platform_admin=True)
    return JSONResponse(body, headers={"ETag": etag(template)})


@admin_router.put(
    "/admin/templates/{templateId}",
    response_model=TemplatePublic,
    summary="Update a template",
    responses={**NOT_FOUND, 412: {"description": "If-Match does not match"}, 422: {"description": "NOTHING_TO_UPDATE"}},
)
def update_template(
    templateId: AdminRef, body: TemplateUpdate, request: Request, ctr: Ctr, authz: Authz, actor: ActorDep
) -> JSONResponse:
    """Name, description and category (send `category: null` to clear it); the slug never changes."""
    template = admin_load(ctr, authz, templateId)
    check_if_match(request, template)
    fields = body.model_dump(exclude_unset=True)
    if not fields:
        raise UnprocessableEntity("Send at least one field to change.", code="NOTHING_TO_UPDATE")
    if "name" in fields and fields["name"] is None:
        raise ValidationFailed("A template keeps a name.", errors=[{"field": "name", "message": "must not be null"}])
    if "description" in fields and fields["description"] is None:
        fields["description"] = ""
    updated = service.update_template(store=ctr.store, clock=ctr.clock, actor=actor, template=template, fields=fields)
    return _template_response(updated)


def _move(
    ctr: Ctr, authz: Authorizer, actor: Actor, ref: str, body: VersionChoice | None, target: TemplateStatus
) -> JSONResponse:
    template = admin_load(ctr, authz, ref)
    number = body.version if body else None
    moved, version = service.move_version(
        store=ctr.store, clock=ctr.clock, actor=actor, template=template, number=number, target=target
    )
    return _template_response(moved, version=version)


TRANSITION_ERRORS: dict[int | str, dict[str, Any]] = {
    **NOT_FOUND,
    422: {"description": "INVALID_STATUS_TRANSITION: DRAFT -> PUBLISHED -> ARCHIVED -> PUBLISHED only"},
}


@admin_router.post(
    "/admin/templates/{templateId}/publish",
    response_model=TemplatePublic,
    summary="Publish a version",
    responses=TRANSITION_ERRORS,
)
def publish(
    templateId: AdminRef, ctr: Ctr, authz: Authz, actor: ActorDep, body: Annotated[VersionChoice | None, Body()] = None
) -> JSONResponse:
    """DRAFT or ARCHIVED -> PUBLISHED (default: the newest DRAFT). The newest PUBLISHED version is what new
    sites get."""
    return _move(ctr, authz, actor, templateId, body, TemplateStatus.PUBLISHED)


@admin_router.post(
    "/admin/templates/{templateId}/archive",
    response_model=TemplatePublic,
    summary="Archive a version",
    responses=TRANSITION_ERRORS,
)
def archive(
    templateId: AdminRef, ctr: Ctr, authz: Authz, actor: ActorDep, body: Annotated[VersionChoice | None, Body()] = None
) -> JSONResponse:
    """PUBLISHED -> ARCHIVED (default: the current version); sites made from it keep working."""
    return _move(ctr, authz, actor, templateId, body, TemplateStatus.ARCHIVED)


@admin_router.delete(
    "/admin/templates/{templateId}",
    status_code=204,
    summary="Delete a template",
    responses={
        **NOT_FOUND,
        409: {"description": "TEMPLATE_PUBLISHED, or OPERATION_IN_PROGRESS"},
        412: {"description": "If-Match does not match"},
    },
)
def delete_template(templateId: AdminRef, request: Request, ctr: Ctr, authz: Authz, actor: ActorDep) -> Response:
    """Only a template none of whose versions is PUBLISHED; its archives and previews are removed after."""
    template = admin_load(ctr, authz, templateId)
    check_if_match(request, template)
    service.delete_template(store=ctr.store, clock=ctr.clock, actor=actor, template=template)
    ctr.wake()
    return Response(status_code=204)
