"""Platform admins make a template, or a template's next version, from a site (`POST /admin/templates`,
`POST /admin/templates/{templateId}/versions`): the export runs as a `MakeTemplate` job."""

from __future__ import annotations

from fastapi.responses import JSONResponse

from bbws.core.deps import ActorDep, Authz, Ctr
from bbws.core.router import api_router
from bbws.jobs.api import accepted
from bbws.jobs.schemas import OperationPublic
from bbws.sites import templating
from bbws.templates.admin_api import AdminRef, admin_load
from bbws.templates.api import ADMIN, NOT_FOUND
from bbws.templates.schemas import TemplateCreate, VersionCreate

router = api_router("Templates")


@router.post(
    "/admin/templates",
    status_code=202,
    response_model=OperationPublic,
    summary="Make a template from a site",
    responses={
        404: {"description": "SITE_002: no such site"},
        409: {"description": "TEMPLATE_SLUG_TAKEN, or INSTANCE_NOT_FOUND (the site has no instance)"},
        422: {"description": "SITE_NOT_ACTIVE: the site is not ACTIVE"},
    },
)
def create_template(body: TemplateCreate, ctr: Ctr, authz: Authz, actor: ActorDep) -> JSONResponse:
    """Reserve the slug and export the site (content, theme, plugins, settings) as version 1, a DRAFT.
    The Operation's result names `templateId` and `version`."""
    authz.require(ADMIN)
    fields = body.model_dump(exclude={"tenantId", "siteId"})
    operation = templating.create_template(
        store=ctr.store, clock=ctr.clock, actor=actor, fields=fields, tenant_id=body.tenantId, site_id=body.siteId
    )
    return accepted(operation, wake=ctr.wake)


@router.post(
    "/admin/templates/{templateId}/versions",
    status_code=202,
    response_model=OperationPublic,
    summary="Add a template version from a site",
    responses={
        **NOT_FOUND,
        409: {"description": "OPERATION_IN_PROGRESS, or INSTANCE_NOT_FOUND"},
        422: {"description": "SITE_NOT_ACTIVE"},
    },
)
def create_version(templateId: AdminRef, body: VersionCreate, ctr: Ctr, authz: Authz, actor: ActorDep) -> JSONResponse:
    """Export the site as the template's next version (a DRAFT); the current version stays in use until the
    new one is published."""
    template = admin_load(ctr, authz, templateId)
    operation = templating.request_version(
        store=ctr.store, clock=ctr.clock, actor=actor, template=template, tenant_id=body.tenantId, site_id=body.siteId
    )
    return accepted(operation, wake=ctr.wake)
