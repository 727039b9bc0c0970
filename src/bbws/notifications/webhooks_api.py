"""Webhook routes: a tenant's endpoints, secret rotation, test pings and the delivery log (thin)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Request, Response
from fastapi.responses import JSONResponse

from bbws.core.deps import ActorDep, Authz, Ctr, Pages
from bbws.core.ids import TENANT_ID_PATTERN
from bbws.core.pagination import render_page
from bbws.core.router import api_router, check_if_match, etag, not_modified
from bbws.core.schemas import page_of
from bbws.notifications import webhooks
from bbws.notifications.delivery import queue_test_ping
from bbws.notifications.views import delivery_public, webhook_href, webhook_public
from bbws.notifications.webhooks_schemas import (
    WEBHOOK_ID_PATTERN,
    DeliveryPublic,
    WebhookCreate,
    WebhookPublic,
    WebhookUpdate,
    WebhookWithSecret,
)
from bbws.tenants import service as tenants

router = api_router("Webhooks")

TenantId = Annotated[str, Path(pattern=TENANT_ID_PATTERN, description="Tenant id (`ten_...`).")]
WebhookId = Annotated[str, Path(pattern=WEBHOOK_ID_PATTERN, description="Webhook id (`whk_...`).")]
WebhookPage = page_of(WebhookPublic)
DeliveryPage = page_of(DeliveryPublic)

REFUSED_URL: dict[int | str, dict[str, Any]] = {
    422: {"description": "WEBHOOK_URL_NOT_ALLOWED (resolves to a private or reserved address), "
                         "WEBHOOK_LIMIT_REACHED, NOTHING_TO_UPDATE or TENANT_DEPROVISIONED"},
}
LOCKED: dict[int | str, dict[str, Any]] = {
    409: {"description": "The webhook changed meanwhile"},
    412: {"description": "If-Match does not match"},
}


def _response(item: dict[str, Any], status_code: int = 200, *, secret: bool = False, **headers: str) -> JSONResponse:
    body = webhook_public(item)
    if secret:  # the one answer that shows it
        body["secret"] = item["secret"]
    return JSONResponse(body, status_code=status_code, headers={"ETag": etag(item), **headers})


@router.post("/tenants/{tenantId}/webhooks", status_code=201, response_model=WebhookWithSecret,
             summary="Register a webhook endpoint", responses=REFUSED_URL)
def create(tenantId: TenantId, body: WebhookCreate, ctr: Ctr, authz: Authz, actor: ActorDep) -> JSONResponse:
    """The answer holds the signing secret (`whsec_...`); it is never shown again."""
    authz.require("webhooks:write", tenant_id=tenantId)
    tenant = tenants.get_tenant(store=ctr.store, tenant_id=tenantId)
    item = webhooks.create_webhook(store=ctr.store, clock=ctr.clock, actor=actor, tenant=tenant, data=body,
                                   allow_private=ctr.settings.webhooks_allow_loopback)
    return _response(item, 201, secret=True, Location=webhook_href(tenantId, item["webhookId"]))


@router.get("/tenants/{tenantId}/webhooks", response_model=WebhookPage, summary="List webhook endpoints")
def list_all(tenantId: TenantId, request: Request, ctr: Ctr, authz: Authz, pages: Pages) -> JSONResponse:
    authz.require("webhooks:read", tenant_id=tenantId)
    tenants.get_tenant(store=ctr.store, tenant_id=tenantId)
    start = ctr.cursors.start_of(pages.start_at, request.url.path, {})
    page = webhooks.list_webhooks(store=ctr.store, tenant_id=tenantId, limit=pages.page_size, start_after=start)
    return render_page(page, codec=ctr.cursors, path=request.url.path, filters={}, page_size=pages.page_size,
                       render=webhook_public)


@router.get("/tenants/{tenantId}/webhooks/{webhookId}", response_model=WebhookPublic, summary="Get a webhook endpoint",
            responses={304: {"description": "Not modified (If-None-Match)"}})
def get_one(tenantId: TenantId, webhookId: WebhookId, request: Request, ctr: Ctr, authz: Authz) -> Response:
    authz.require("webhooks:read", tenant_id=tenantId)
    item = webhooks.get_webhook(store=ctr.store, tenant_id=tenantId, webhook_id=webhookId)
    return not_modified(request, item) or _response(item)


@router.put("/tenants/{tenantId}/webhooks/{webhookId}", response_model=WebhookPublic,
            summary="Update a webhook endpoint", responses={**LOCKED, **REFUSED_URL})
def update(
    tenantId: TenantId, webhookId: WebhookId, body: WebhookUpdate, request: Request, ctr: Ctr, authz: Authz,
    actor: ActorDep,
) -> JSONResponse:
    """Change url, eventTypes or description; `enabled: true` re-enables an endpoint the platform disabled."""
    authz.require("webhooks:write", tenant_id=tenantId)
    tenant = tenants.get_tenant(store=ctr.store, tenant_id=tenantId)
    item = webhooks.get_webhook(store=ctr.store, tenant_id=tenantId, webhook_id=webhookId)
    check_if_match(request, item)
    updated = webhooks.update_webhook(store=ctr.store, clock=ctr.clock, actor=actor, tenant=tenant, webhook=item,
                                      data=body, allow_private=ctr.settings.webhooks_allow_loopback)
    return _response(updated)


@router.delete("/tenants/{tenantId}/webhooks/{webhookId}", status_code=204, summary="Delete a webhook endpoint",
               responses=LOCKED)
def delete(tenantId: TenantId, webhookId: WebhookId, request: Request, ctr: Ctr, authz: Authz,
           actor: ActorDep) -> Response:
    authz.require("webhooks:write", tenant_id=tenantId)
    tenant = tenants.get_tenant(store=ctr.store, tenant_id=tenantId)
    item = webhooks.get_webhook(store=ctr.store, tenant_id=tenantId, webhook_id=webhookId)
    check_if_match(request, item)
    webhooks.delete_webhook(store=ctr.store, clock=ctr.clock, actor=actor, tenant=tenant, webhook=item)
    return Response(status_code=204)


@router.post("/tenants/{tenantId}/webhooks/{webhookId}/rotate-secret", response_model=WebhookWithSecret,
             summary="Rotate the signing secret", responses=LOCKED)
def rotate(tenantId: TenantId, webhookId: WebhookId, request: Request, ctr: Ctr, authz: Authz,
           actor: ActorDep) -> JSONResponse:
    """A new secret, shown once; for 24 h deliveries carry a signature with the previous secret too."""
    authz.require("webhooks:write", tenant_id=tenantId)
    tenant = tenants.get_tenant(store=ctr.store, tenant_id=tenantId)
    item = webhooks.get_webhook(store=ctr.store, tenant_id=tenantId, webhook_id=webhookId)
    check_if_match(request, item)
    rotated = webhooks.rotate_secret(store=ctr.store, clock=ctr.clock, actor=actor, tenant=tenant, webhook=item)
    return _response(rotated, secret=True)


@router.get("/tenants/{tenantId}/webhooks/{webhookId}/deliveries", response_model=DeliveryPage,
            summary="List an endpoint's deliveries")
def deliveries(tenantId: TenantId, webhookId: WebhookId, request: Request, ctr: Ctr, authz: Authz,
               pages: Pages) -> JSONResponse:
    """Newest event first, each with every attempt: time, HTTP status, duration and error."""
    authz.require("webhooks:read", tenant_id=tenantId)
    item = webhooks.get_webhook(store=ctr.store, tenant_id=tenantId, webhook_id=webhookId)
    start = ctr.cursors.start_of(pages.start_at, request.url.path, {})
    page = webhooks.list_deliveries(store=ctr.store, webhook=item, limit=pages.page_size, start_after=start)
    return render_page(page, codec=ctr.cursors, path=request.url.path, filters={}, page_size=pages.page_size,
                       render=delivery_public)


@router.post("/tenants/{tenantId}/webhooks/{webhookId}/test", status_code=202, response_model=DeliveryPublic,
             summary="Send a test event", responses={422: {"description": "WEBHOOK_DISABLED"}})
def ping(tenantId: TenantId, webhookId: WebhookId, ctr: Ctr, authz: Authz) -> JSONResponse:
    """Queue a `bbws.webhook.test` delivery to this endpoint; follow it in the delivery list."""
    authz.require("webhooks:write", tenant_id=tenantId)
    item = webhooks.get_webhook(store=ctr.store, tenant_id=tenantId, webhook_id=webhookId)
    delivery = queue_test_ping(store=ctr.store, clock=ctr.clock, webhook=item)
    ctr.wake()
    return JSONResponse(delivery_public(delivery), status_code=202,
                        headers={"Location": webhook_href(tenantId, webhookId, "deliveries")})
