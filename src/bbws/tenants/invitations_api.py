"""Invitation routes: the tenant's (create, list, get, cancel, resend) and the token holder's (view, accept, decline).

Viewing and declining need only the token, so they live on a plain router with a per-IP rate limit; accepting
needs a bearer token (the caller's `sub` gets the role), so it is an ordinary API route.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from bbws.core.authorizer import Authorizer
from bbws.core.changes import Actor
from bbws.core.container import Container
from bbws.core.deps import ActorDep, Authz, Ctr, CurrentPrincipal, Pages, client_address
from bbws.core.http import request_id_of
from bbws.core.ids import TENANT_ID_PATTERN
from bbws.core.links import href, links
from bbws.core.pagination import render_page
from bbws.core.router import api_router, check_if_match, etag, not_modified
from bbws.core.schemas import PROBLEM_RESPONSES, page_of
from bbws.tenants import invitations, service
from bbws.tenants.invitations_schemas import (
    INVITATION_ID_PATTERN,
    TOKEN_PATTERN,
    InvitationCreate,
    InvitationPublic,
    InvitationStatus,
    InvitationView,
)
from bbws.tenants.views import invitation_public, invitation_view

router = api_router("Invitations")
# No bearer token here, so no 401 or 403 either.
public_router = APIRouter(
    prefix="/v1.0", tags=["Invitations"], responses={k: v for k, v in PROBLEM_RESPONSES.items() if k not in (401, 403)}
)

TenantId = Annotated[str, Path(pattern=TENANT_ID_PATTERN, description="Tenant id (`ten_...`).")]
InvitationId = Annotated[str, Path(pattern=INVITATION_ID_PATTERN, description="Invitation id (`inv_...`).")]
Token = Annotated[str, Path(pattern=TOKEN_PATTERN, description="The invitation token from the email.")]
InvitationPage = page_of(InvitationPublic)

TOKEN_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "INVITATION_NOT_FOUND: unknown token, or one replaced by a resend"},
    409: {"description": "INVITATION_ALREADY_USED: accepted, declined or cancelled"},
    410: {"description": "INVITATION_EXPIRED"},
}


async def ip_rate_limit(request: Request, ctr: Ctr) -> dict[str, str]:
    """Per-IP limit for the routes that need no bearer token; returns the `RateLimit-*` headers (async: it
    does no I/O, so it needs no threadpool round trip)."""
    return ctr.limiter.charge("ip:" + client_address(request), None)


RateHeaders = Annotated[dict[str, str], Depends(ip_rate_limit)]


def _invitation_response(item: dict[str, Any], now: datetime, status_code: int = 200, **headers: str) -> JSONResponse:
    return JSONResponse(invitation_public(item, now), status_code=status_code, headers={"ETag": etag(item), **headers})


# -- the tenant's side


@router.post(
    "/tenants/{tenantId}/invitations",
    status_code=201,
    response_model=InvitationPublic,
    summary="Invite someone by email",
    responses={
        404: {"description": "NODE_NOT_FOUND"},
        422: {"description": "TENANT_DEPROVISIONED: the tenant is deprovisioned"},
    },
)
def create_invitation(
    tenantId: TenantId, body: InvitationCreate, ctr: Ctr, authz: Authz, actor: ActorDep
) -> JSONResponse:
    """Email an invitation to take `role` on a node (`nodeId`) or the whole tenant. The token is only in the
    email (never in an API answer); it expires after `expiresInDays` (default 7)."""
    authz.require("invitations:write", tenant_id=tenantId)
    tenant = service.get_tenant(store=ctr.store, tenant_id=tenantId)
    item = invitations.create_invitation(
        store=ctr.store,
        clock=ctr.clock,
        actor=actor,
        mailer=ctr.mailer,
        base_url=ctr.settings.base_url,
        tenant=tenant,
        data=body,
        default_days=ctr.settings.invitation_ttl_days,
    )
    location = href("tenants", tenantId, "invitations", item["invitationId"])
    return _invitation_response(item, ctr.clock.now(), 201, Location=location)


@router.get("/tenants/{tenantId}/invitations", response_model=InvitationPage, summary="List invitations")
def list_invitations(
    tenantId: TenantId,
    request: Request,
    ctr: Ctr,
    authz: Authz,
    pages: Pages,
    status: Annotated[InvitationStatus | None, Query(description="Only invitations in this status.")] = None,
) -> JSONResponse:
    """Newest first. A page may hold fewer items than `pageSize` when filtered; follow `startAt`."""
    authz.require("invitations:read", tenant_id=tenantId)
    service.get_tenant(store=ctr.store, tenant_id=tenantId)
    filters = {"status": status.value} if status else {}
    start = ctr.cursors.start_of(pages.start_at, request.url.path, filters)
    now = ctr.clock.now()
    page, rows = invitations.list_invitations(
        store=ctr.store, tenant_id=tenantId, status=status, now=now, limit=pages.page_size, start_after=start
    )
    return render_page(
        page,
        codec=ctr.cursors,
        path=request.url.path,
        filters=filters,
        page_size=pages.page_size,
        render=lambda it: invitation_public(it, now),
        items=rows,
    )


@router.get(
    "/tenants/{tenantId}/invitations/{invitationId}",
    response_model=InvitationPublic,
    summary="Get an invitation",
    responses={304: {"description": "Not modified (If-None-Match)"}},
)
def get_invitation(
    tenantId: TenantId, invitationId: InvitationId, request: Request, ctr: Ctr, authz: Authz
) -> Response:
    authz.require("invitations:read", tenant_id=tenantId)
    item = invitations.get_invitation(store=ctr.store, tenant_id=tenantId, invitation_id=invitationId)
    return not_modified(request, item) or _invitation_response(item, ctr.clock.now())


def _for_writing(
    tenant_id: str, invitation_id: str, request: Request, ctr: Container, authz: Authorizer
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The tenant and the invitation a write acts on, once the caller may write and `If-Match` holds."""
    authz.require("invitations:write", tenant_id=tenant_id)
    tenant = service.get_tenant(store=ctr.store, tenant_id=tenant_id)
    item = invitations.get_invitation(store=ctr.store, tenant_id=tenant_id, invitation_id=invitation_id)
    check_if_match(request, item)
    return tenant, item


@router.delete(
    "/tenants/{tenantId}/invitations/{invitationId}",
    response_model=InvitationPublic,
    summary="Cancel an invitation",
    responses={
        409: {"description": "INVITATION_NOT_PENDING"},
        412: {"description": "If-Match does not match"},
        422: {"description": "TENANT_DEPROVISIONED: the tenant is deprovisioned"},
    },
)
def cancel_invitation(
    tenantId: TenantId, invitationId: InvitationId, request: Request, ctr: Ctr, authz: Authz, actor: ActorDep
) -> JSONResponse:
    """PENDING -> CANCELLED: the token stops working."""
    tenant, item = _for_writing(tenantId, invitationId, request, ctr, authz)
    cancelled = invitations.cancel_invitation(
        store=ctr.store, clock=ctr.clock, actor=actor, tenant=tenant, invitation=item
    )
    return _invitation_response(cancelled, ctr.clock.now())


@router.post(
    "/tenants/{tenantId}/invitations/{invitationId}/resend",
    response_model=InvitationPublic,
    summary="Resend an invitation",
    responses={
        409: {"description": "INVITATION_NOT_PENDING"},
        412: {"description": "If-Match does not match"},
        422: {"description": "TENANT_DEPROVISIONED: the tenant is deprovisioned"},
    },
)
def resend_invitation(
    tenantId: TenantId, invitationId: InvitationId, request: Request, ctr: Ctr, authz: Authz, actor: ActorDep
) -> JSONResponse:
    """A new email with a new token and a new expiry; the previous token stops working."""
    tenant, item = _for_writing(tenantId, invitationId, request, ctr, authz)
    resent = invitations.resend_invitation(
        store=ctr.store,
        clock=ctr.clock,
        actor=actor,
        mailer=ctr.mailer,
        base_url=ctr.settings.base_url,
        tenant=tenant,
        invitation=item,
    )
    return _invitation_response(resent, ctr.clock.now())


# -- the token holder's side


@public_router.get(
    "/invitations/{token}",
    response_model=InvitationView,
    summary="See an invitation (no sign-in)",
    responses=TOKEN_ERRORS,
)
def view_invitation(token: Token, ctr: Ctr, rate: RateHeaders) -> JSONResponse:
    """What the invitation offers: tenant, role, node, expiry and status. The token is the credential."""
    item = invitations.find_by_token(store=ctr.store, token=token)
    tenant = service.get_tenant(store=ctr.store, tenant_id=item["tenantId"])
    return JSONResponse(invitation_view(item, tenant["organizationName"], ctr.clock.now()), headers=rate)


@router.post(
    "/invitations/{token}/accept",
    response_model=InvitationView,
    summary="Accept an invitation",
    responses={**TOKEN_ERRORS, 403: {"description": "INVITATION_EMAIL_MISMATCH: the token's email differs"}},
)
def accept_invitation(token: Token, ctr: Ctr, principal: CurrentPrincipal, actor: ActorDep) -> JSONResponse:
    """The signed-in caller (`sub`) gets the invited role. When the bearer token carries an `email`, it must be
    the invited address."""
    item = invitations.accept_invitation(
        store=ctr.store, clock=ctr.clock, actor=actor, caller_email=principal.email, token=token
    )
    tenant = service.get_tenant(store=ctr.store, tenant_id=item["tenantId"])
    body = invitation_view(item, tenant["organizationName"], ctr.clock.now())
    body["_links"].update(links(tenant=href("tenants", item["tenantId"]), tenants=href("users", actor.sub, "tenants")))
    return JSONResponse(body)


@public_router.post(
    "/invitations/{token}/decline",
    response_model=InvitationView,
    summary="Decline an invitation (no sign-in)",
    responses=TOKEN_ERRORS,
)
def decline_invitation(token: Token, request: Request, ctr: Ctr, rate: RateHeaders) -> JSONResponse:
    """PENDING -> DECLINED. Needs only the token."""
    actor = Actor(sub="invitee", request_id=request_id_of(request))
    item = invitations.decline_invitation(store=ctr.store, clock=ctr.clock, actor=actor, token=token)
    tenant = service.get_tenant(store=ctr.store, tenant_id=item["tenantId"])
    return JSONResponse(invitation_view(item, tenant["organizationName"], ctr.clock.now()), headers=rate)
