"""A tenant's webhook endpoints: their secrets and use cases (the URL, destination and event-filter rules are in
`bbws.notifications.destinations`)."""

from __future__ import annotations

import base64
import secrets
from datetime import datetime, timedelta
from typing import Any

from bbws.core.changes import Actor, Changes
from bbws.core.clock import Clock, iso, parse_iso
from bbws.core.errors import Conflict, UnprocessableEntity, not_found
from bbws.core.ids import new_id
from bbws.core.store import NOT_EXISTS, ConditionFailed, ItemStore, Key, Page, version_is
from bbws.notifications.destinations import Resolver, destination_addresses, resolve_host
from bbws.notifications.keys import WEBHOOK_PREFIX, deliveries_prefix, webhook_sk
from bbws.notifications.webhooks_schemas import WebhookCreate, WebhookUpdate
from bbws.tenants import keys
from bbws.tenants.hierarchy import require_writable

MAX_ENDPOINTS = 20
SECRET_BYTES = 24
SECRET_PREFIX_CHARS = 10
ROTATION_OVERLAP = timedelta(hours=24)
# Fields that never leave the store: not in answers, not in the audit trail, not in events.
SECRET_FIELDS = ("secret", "previousSecret")

# -- secrets (no I/O)


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def signing_secrets(webhook: dict[str, Any], now: datetime) -> list[str]:
    """The current secret, and during a rotation's overlap the previous one too."""
    found = [webhook["secret"]]
    until = webhook.get("previousSecretExpiresAt")
    if webhook.get("previousSecret") and until and now < parse_iso(until):
        found.append(webhook["previousSecret"])
    return found


def redacted(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k not in SECRET_FIELDS}


# -- use cases


def get_webhook(*, store: ItemStore, tenant_id: str, webhook_id: str) -> dict[str, Any]:
    item = store.get(keys.tenant_pk(tenant_id), webhook_sk(webhook_id))
    if item is None:
        raise not_found("webhook", webhook_id)
    return item


def list_webhooks(*, store: ItemStore, tenant_id: str, limit: int = 100, start_after: Key | None = None) -> Page:
    return store.query(keys.tenant_pk(tenant_id), sk_prefix=WEBHOOK_PREFIX, limit=limit, start_after=start_after)


def list_deliveries(*, store: ItemStore, webhook: dict[str, Any], limit: int, start_after: Key | None) -> Page:
    """An endpoint's deliveries, newest event first."""
    return store.query(
        webhook["pk"], sk_prefix=deliveries_prefix(webhook["webhookId"]), limit=limit, start_after=start_after,
        descending=True,
    )


def create_webhook(
    *, store: ItemStore, clock: Clock, actor: Actor, tenant: dict[str, Any], data: WebhookCreate, allow_private: bool,
    resolve: Resolver = resolve_host,
) -> dict[str, Any]:
    """Register an endpoint; the answer holds its secret, which is never shown again."""
    require_writable(tenant)
    destination_addresses(data.url, allow_private=allow_private, resolve=resolve)
    tid = tenant["tenantId"]
    if len(list_webhooks(store=store, tenant_id=tid, limit=MAX_ENDPOINTS).items) >= MAX_ENDPOINTS:
        raise UnprocessableEntity(f"A tenant may have {MAX_ENDPOINTS} webhook endpoints; delete one first.",
                                  code="WEBHOOK_LIMIT_REACHED")
    changes = Changes(actor=actor, now=clock.now())
    webhook_id = new_id("whk", now_ms=int(changes.now.timestamp() * 1000))
    secret = new_secret()
    item: dict[str, Any] = {
        "pk": keys.tenant_pk(tid), "sk": webhook_sk(webhook_id), "type": "webhook",
        "webhookId": webhook_id, "tenantId": tid, "url": data.url, "eventTypes": data.eventTypes,
        "description": data.description, "enabled": True, "disabledReason": None, "disabledAt": None,
        "secret": secret, "secretPrefix": secret[:SECRET_PREFIX_CHARS], "previousSecret": None,
        "previousSecretExpiresAt": None, "failingSince": None,
        "createdAt": changes.timestamp, "createdBy": actor.sub, "updatedAt": changes.timestamp,
        "updatedBy": actor.sub, "version": 1,
    }
    changes.put(item, NOT_EXISTS)
    _audit(changes, item, "webhook.created", after=item)
    changes.commit(store)
    return item


def update_webhook(
    *, store: ItemStore, clock: Clock, actor: Actor, tenant: dict[str, Any], webhook: dict[str, Any],
    data: WebhookUpdate, allow_private: bool, resolve: Resolver = resolve_host,
) -> dict[str, Any]:
    """Change url, event types, description; `enabled` true re-enables (and forgets past failures)."""
    require_writable(tenant)
    fields = data.model_dump(exclude_unset=True)
    if not fields:
        raise UnprocessableEntity("Send at least one field to change (url, eventTypes, description, enabled).",
                                  code="NOTHING_TO_UPDATE")
    if "url" in fields and fields["url"] != webhook["url"]:
        destination_addresses(fields["url"], allow_private=allow_private, resolve=resolve)
    changes = Changes(actor=actor, now=clock.now())
    if fields.get("enabled") is True and not webhook["enabled"]:
        fields.update(disabledReason=None, disabledAt=None, failingSince=None)
    elif fields.get("enabled") is False and webhook["enabled"]:
        fields.update(disabledReason=f"Disabled by {actor.sub}.", disabledAt=changes.timestamp)
    updated = {**webhook, **fields, "updatedAt": changes.timestamp, "updatedBy": actor.sub,
               "version": webhook["version"] + 1}
    changes.put(updated, version_is(webhook["version"]))  # guards: lost updates (a delivery may disable it)
    action = "webhook.updated"
    if updated["enabled"] != webhook["enabled"]:
        action = "webhook.enabled" if updated["enabled"] else "webhook.disabled"
    _audit(changes, updated, action, before=webhook, after=updated)
    _commit(changes, store)
    return updated


def rotate_secret(
    *, store: ItemStore, clock: Clock, actor: Actor, tenant: dict[str, Any], webhook: dict[str, Any]
) -> dict[str, Any]:
    """A new secret (shown once); the current one keeps signing beside it for 24 h."""
    require_writable(tenant)
    changes = Changes(actor=actor, now=clock.now())
    secret = new_secret()
    updated = {
        **webhook, "secret": secret, "secretPrefix": secret[:SECRET_PREFIX_CHARS],
        "previousSecret": webhook["secret"], "previousSecretExpiresAt": iso(changes.now + ROTATION_OVERLAP),
        "updatedAt": changes.timestamp, "updatedBy": actor.sub, "version": webhook["version"] + 1,
    }
    changes.put(updated, version_is(webhook["version"]))  # guards: two rotations at once losing a secret
    _audit(changes, updated, "webhook.secret_rotated", before=webhook, after=updated)
    _commit(changes, store)
    return updated


def delete_webhook(*, store: ItemStore, clock: Clock, actor: Actor, tenant: dict[str, Any],
                   webhook: dict[str, Any]) -> None:
    """Remove the endpoint; its pending deliveries are given up when they come due."""
    require_writable(tenant)
    changes = Changes(actor=actor, now=clock.now())
    changes.delete(webhook["pk"], webhook["sk"], version_is(webhook["version"]))  # guards: a change meanwhile
    _audit(changes, webhook, "webhook.deleted", before=webhook)
    _commit(changes, store)


def disable(changes: Changes, webhook: dict[str, Any], reason: str) -> dict[str, Any]:
    """The platform turns off an endpoint that keeps failing; the event `bbws.webhook.disabled` says why."""
    updated = {**webhook, "enabled": False, "disabledReason": reason, "disabledAt": changes.timestamp,
               "updatedAt": changes.timestamp, "updatedBy": changes.actor.sub, "version": webhook["version"] + 1}
    changes.put(updated, version_is(webhook["version"]))
    _audit(changes, updated, "webhook.disabled", before=webhook, after=updated)
    return updated


def _audit(changes: Changes, item: dict[str, Any], action: str, *, before: dict[str, Any] | None = None,
           after: dict[str, Any] | None = None) -> None:
    data = {"webhookId": item["webhookId"], "tenantId": item["tenantId"], "url": item["url"],
            "eventTypes": item["eventTypes"], "enabled": item["enabled"], "disabledReason": item.get("disabledReason")}
    changes.audit(
        tenant_id=item["tenantId"], action=action, resource_type="webhook", resource_id=item["webhookId"],
        before=redacted(before) if before else None, after=redacted(after) if after else None, event_data=data,
    )


def _commit(changes: Changes, store: ItemStore) -> None:
    try:
        changes.commit(store)
    except ConditionFailed as exc:
        raise Conflict("The webhook changed meanwhile (or was deleted); read it again and retry.") from exc
