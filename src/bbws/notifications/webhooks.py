"""A tenant's webhook endpoints: the rules (URL, destination, event filter, secrets) and their use cases."""

from __future__ import annotations

import base64
import ipaddress
import re
import secrets
import socket
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from bbws.core.changes import Actor, Changes
from bbws.core.clock import Clock, iso, parse_iso
from bbws.core.errors import Conflict, UnprocessableEntity, not_found
from bbws.core.ids import new_id
from bbws.core.store import NOT_EXISTS, ConditionFailed, ItemStore, Key, Page, version_is
from bbws.tenants import keys
from bbws.tenants.hierarchy import require_writable

if TYPE_CHECKING:
    from bbws.notifications.webhooks_schemas import WebhookCreate, WebhookUpdate

WEBHOOK_PREFIX = "WEBHOOK#"
DELIVERY_PREFIX = "DELIVERY#"
DUE_INDEX = "DELIVERIES#DUE"  # GSI1 partition of deliveries waiting for an attempt, by next attempt time
MAX_ENDPOINTS = 20
SECRET_BYTES = 24
SECRET_PREFIX_CHARS = 10
ROTATION_OVERLAP = timedelta(hours=24)
EVENT_TYPE = re.compile(r"^bbws\.[a-z_]+\.([a-z_]+|\*)$")
# Fields that never leave the store: not in answers, not in the audit trail, not in events.
SECRET_FIELDS = ("secret", "previousSecret")

Resolver = Callable[[str, int], list[str]]
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # the well-known prefix (RFC 6052): IPv4 in the last 32 bits
NAT64_LOCAL_USE = ipaddress.IPv6Network("64:ff9b:1::/48")  # RFC 8215
IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")


# -- keys


def webhook_sk(webhook_id: str) -> str:
    return f"{WEBHOOK_PREFIX}{webhook_id}"


def deliveries_prefix(webhook_id: str) -> str:
    return f"{DELIVERY_PREFIX}{webhook_id}#"


def delivery_sk(webhook_id: str, event_time: str, event_id: str) -> str:
    """One delivery per (event, endpoint): the key itself is the dedupe guard; newest events sort last."""
    return f"{deliveries_prefix(webhook_id)}{event_time}#{event_id}"


def due_indexes(next_attempt_at: str, delivery_id: str) -> dict[str, str]:
    return {"GSI1PK": DUE_INDEX, "GSI1SK": f"{next_attempt_at}#{delivery_id}"}


# -- rules (no I/O)


def check_url_shape(url: str) -> str:
    """An absolute http(s) URL with a host and no credentials (ValueError says what is wrong)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"not a valid URL: {exc}") from exc
    if parts.scheme not in ("http", "https"):
        raise ValueError("must be an absolute http:// or https:// URL")
    if not parts.hostname:
        raise ValueError("must name a host")
    if parts.username is not None or parts.password is not None:
        raise ValueError("must not hold credentials; put a token in the path or query instead")
    if port == 0:
        raise ValueError("port 0 is not a valid port")
    return url


def check_event_types(types: list[str]) -> list[str]:
    """`*`, exact types or `bbws.{area}.*`; duplicates dropped, order kept."""
    bad = [t for t in types if t != "*" and not EVENT_TYPE.fullmatch(t)]
    if bad:
        raise ValueError(f"not event types: {', '.join(bad[:5])} (use *, bbws.tenant.parked or bbws.tenant.*)")
    return list(dict.fromkeys(types))


def address_refused(address: str, *, allow_private: bool) -> str | None:
    """Why a destination address is refused (SSRF), or None. `allow_private` admits loopback and private ranges."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is None:
            return _ipv6_refused(ip, allow_private=allow_private)
        ip = ip.ipv4_mapped
    return _range_refused(ip, allow_private=allow_private)


def _ipv6_refused(ip: ipaddress.IPv6Address, *, allow_private: bool) -> str | None:
    """IPv6 forms that carry an IPv4 address reach that address through a relay or translator, so it is judged
    too: a 6to4 of 127.0.0.1 is loopback whatever the IPv6 range tables of this Python say."""
    if ip in NAT64_LOCAL_USE:
        return "reserved"  # a network-specific translator: where it keeps the IPv4 address is not knowable here
    for form, carried in _carried_ipv4(ip):
        if why := _range_refused(carried, allow_private=allow_private):
            return f"{why} ({form} of {carried})"
    if ip.sixtofour is not None or ip in NAT64:
        return None  # a translation of an allowed IPv4 address
    if ip in IPV4_COMPATIBLE and not (ip.is_loopback or ip.is_unspecified):
        return "reserved"  # deprecated and never routed
    return _range_refused(ip, allow_private=allow_private)


def _carried_ipv4(ip: ipaddress.IPv6Address) -> list[tuple[str, ipaddress.IPv4Address]]:
    if ip.sixtofour is not None:
        return [("6to4", ip.sixtofour)]
    if ip.teredo is not None:
        return [("Teredo", address) for address in ip.teredo]  # the server, then the client
    last_32_bits = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip in NAT64:
        return [("NAT64", last_32_bits)]
    if ip in IPV4_COMPATIBLE and not (ip.is_loopback or ip.is_unspecified):  # :: and ::1 are IPv6's own
        return [("IPv4-compatible", last_32_bits)]
    return []


def _range_refused(ip: ipaddress.IPv4Address | ipaddress.IPv6Address, *, allow_private: bool) -> str | None:
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_loopback:  # before `reserved`: ::1 lies in the reserved ::/8
        return None if allow_private else "loopback"
    for label, hit in (("link-local", ip.is_link_local), ("multicast", ip.is_multicast), ("reserved", ip.is_reserved)):
        if hit:  # never a webhook receiver, whatever the setting (169.254.169.254 is the cloud metadata service)
            return label
    if ip.is_private or not ip.is_global:
        return None if allow_private else "private"
    return None


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


# -- destination check (resolves the host)


def resolve_host(host: str, port: int) -> list[str]:
    return sorted({str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)})


def destination_addresses(url: str, *, allow_private: bool, resolve: Resolver = resolve_host) -> list[str]:
    """Every address the URL's host resolves to, when all are allowed; else 422 WEBHOOK_URL_NOT_ALLOWED."""
    parts = urlsplit(url)
    host, port = parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)
    try:
        addresses = resolve(host, port)
    except (OSError, UnicodeError) as exc:
        raise _refused(url, f"its host {host} does not resolve ({exc})") from exc
    reasons = {a: r for a in addresses if (r := address_refused(a, allow_private=allow_private))}
    if not addresses or reasons:
        why = ", ".join(f"{a} is {r}" for a, r in reasons.items()) or "no address"
        raise _refused(url, f"its host {host} resolves to an address webhooks may not reach ({why})")
    return addresses


def _refused(url: str, why: str) -> UnprocessableEntity:
    return UnprocessableEntity(
        f"The webhook URL {url} is not allowed: {why}.",
        code="WEBHOOK_URL_NOT_ALLOWED",
        errors=[{"field": "url", "message": why}],
    )


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
