"""Invitation use cases: a tenant invites by email, cancels, resends; the token holder reads, accepts or declines.

The token (`secrets.token_urlsafe(32)`) only travels in the email; the store keeps its sha256 (GSI1), so a
leaked table does not leak invitations. EXPIRED is not stored: it is a PENDING invitation past `expiresAt`.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta
from typing import Any

from bbws.core.changes import Actor, Changes
from bbws.core.clock import Clock, iso, parse_iso
from bbws.core.errors import ApiError, Conflict, Forbidden, Gone, NotFound, UnprocessableEntity
from bbws.core.ids import new_id
from bbws.core.mail import Mailer
from bbws.core.store import NOT_EXISTS, ConditionFailed, ItemStore, Page, version_is
from bbws.tenants import keys, roles
from bbws.tenants.hierarchy import find_node, kind_of, require_writable
from bbws.tenants.invitations_schemas import InvitationCreate, InvitationStatus
from bbws.tenants.service import get_tenant
from bbws.tenants.users_schemas import USER_ID_PATTERN

S = InvitationStatus
USED = (S.ACCEPTED, S.DECLINED, S.CANCELLED)


# -- pure rules


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def shown_status(item: dict[str, Any], now: datetime) -> InvitationStatus:
    """The stored status, except that a PENDING invitation past its expiry shows as EXPIRED."""
    status = S(item["status"])
    return S.EXPIRED if status is S.PENDING and parse_iso(item["expiresAt"]) <= now else status


def refusal(item: dict[str, Any], now: datetime) -> ApiError | None:
    """Why the token holder can no longer accept or decline (410 expired, 409 used), or None."""
    status = shown_status(item, now)
    if status is S.EXPIRED:
        return Gone(
            f"This invitation expired at {item['expiresAt']}; ask for it to be resent.",
            code="INVITATION_EXPIRED",
            invitationStatus=status.value,
        )
    if status in USED:
        return Conflict(
            f"This invitation was already {status.value.lower()}; it cannot be used again.",
            code="INVITATION_ALREADY_USED",
            invitationStatus=status.value,
        )
    return None


def invitation_email(*, organization: str, invitation: dict[str, Any], token: str, base_url: str) -> tuple[str, str]:
    """Subject and body of the invitation email: the accept URL and the token itself."""
    url = f"{base_url.rstrip('/')}/v1.0/invitations/{token}"
    node = invitation.get("nodeName")
    where = f"the {kind_of(invitation['nodePath'])} {node!r}" if node else "the whole organization"
    body = (
        f"Hello,\n\nYou are invited to join {organization} on BBWS as {invitation['role']} of {where}.\n\n"
        f"See the invitation: {url}\n"
        f"Accept it (signed in, with your bearer token): POST {url}/accept\n"
        f"Decline it: POST {url}/decline\n\n"
        f"Your invitation token: {token}\n\n"
        f"The invitation expires at {invitation['expiresAt']}. If you did not expect it, ignore this message.\n"
    )
    return f"Invitation to join {organization} on BBWS", body


# -- tenant side


def create_invitation(
    *,
    store: ItemStore,
    clock: Clock,
    actor: Actor,
    mailer: Mailer,
    base_url: str,
    tenant: dict[str, Any],
    data: InvitationCreate,
    default_days: int,
) -> dict[str, Any]:
    """Record a PENDING invitation (only the token's hash is kept) and email the token to the invitee."""
    require_writable(tenant)
    tid = tenant["tenantId"]
    node = find_node(store=store, tenant_id=tid, node_id=data.nodeId) if data.nodeId else None
    changes = Changes(actor=actor, now=clock.now())
    invitation_id = new_id("inv", now_ms=int(changes.now.timestamp() * 1000))
    item: dict[str, Any] = {
        "pk": keys.tenant_pk(tid),
        "sk": keys.invitation_sk(invitation_id),
        "type": "invitation",
        "invitationId": invitation_id,
        "tenantId": tid,
        "email": str(data.email),
        "role": data.role.value,
        "nodeId": data.nodeId,
        "nodePath": node["path"] if node else "",
        "nodeName": node["name"] if node else None,
        "status": S.PENDING.value,
        "expiresInDays": data.expiresInDays or default_days,
        "sentCount": 0,
        "createdAt": changes.timestamp,
        "createdBy": actor.sub,
        "version": 1,
    }
    token, item = _with_new_token(item, changes)
    changes.put(item, NOT_EXISTS)
    changes.audit(tenant_id=tid, action="invitation.created", **_audit_of(item, None))
    changes.commit(store)
    _send(mailer, tenant, item, token, base_url)
    return item


def get_invitation(*, store: ItemStore, tenant_id: str, invitation_id: str) -> dict[str, Any]:
    item = store.get(keys.tenant_pk(tenant_id), keys.invitation_sk(invitation_id))
    if item is None:
        raise NotFound(f"Invitation {invitation_id} was not found.", code="INVITATION_NOT_FOUND")
    return item


def list_invitations(
    *,
    store: ItemStore,
    tenant_id: str,
    status: InvitationStatus | None,
    now: datetime,
    limit: int,
    start_after: dict[str, str] | None,
) -> tuple[Page, list[dict[str, Any]]]:
    """One page of the tenant's invitations, newest first, optionally of one (shown) status."""
    stored = S.PENDING if status is S.EXPIRED else status
    page = store.query(
        keys.tenant_pk(tenant_id),
        sk_prefix=keys.INVITATION_PREFIX,
        limit=limit,
        start_after=start_after,
        descending=True,
        filters={"status": stored.value} if stored else None,
    )
    return page, [it for it in page.items if status is None or shown_status(it, now) is status]


def cancel_invitation(
    *, store: ItemStore, clock: Clock, actor: Actor, tenant: dict[str, Any], invitation: dict[str, Any]
) -> dict[str, Any]:
    """PENDING -> CANCELLED; its token stops working."""
    require_writable(tenant)
    changes = Changes(actor=actor, now=clock.now())
    _require_status(invitation, changes.now, S.PENDING, "cancelled")
    cancelled = _moved(invitation, changes, S.CANCELLED, cancelledAt=changes.timestamp, cancelledBy=actor.sub)
    changes.put(cancelled, version_is(invitation["version"]))  # guards: a concurrent accept or resend
    changes.audit(tenant_id=tenant["tenantId"], action="invitation.cancelled", **_audit_of(cancelled, invitation))
    _commit(changes, store)
    return cancelled


def resend_invitation(
    *,
    store: ItemStore,
    clock: Clock,
    actor: Actor,
    mailer: Mailer,
    base_url: str,
    tenant: dict[str, Any],
    invitation: dict[str, Any],
) -> dict[str, Any]:
    """A PENDING (or EXPIRED) invitation gets a new token and expiry in a new email; the old token dies."""
    require_writable(tenant)
    changes = Changes(actor=actor, now=clock.now())
    _require_status(invitation, changes.now, S.PENDING, "resent", S.EXPIRED)
    token, resent = _with_new_token(_moved(invitation, changes, S.PENDING), changes)
    changes.put(resent, version_is(invitation["version"]))  # guards: a concurrent accept, cancel or resend
    changes.audit(tenant_id=tenant["tenantId"], action="invitation.resent", **_audit_of(resent, invitation))
    _commit(changes, store)
    _send(mailer, tenant, resent, token, base_url)
    return resent


# -- token holder side


def find_by_token(*, store: ItemStore, token: str) -> dict[str, Any]:
    """The invitation a token belongs to, or INVITATION_NOT_FOUND (unknown, or replaced by a resend)."""
    digest = token_hash(token)
    hits = store.query(keys.invitation_token_index(digest), index="GSI1", limit=1).items
    item = store.get(hits[0]["pk"], hits[0]["sk"]) if hits else None  # the index may lag; the item does not
    if item is None or item.get("tokenHash") != digest:
        raise NotFound(
            "No invitation has this token (if it was resent, use the newest email).", code="INVITATION_NOT_FOUND"
        )
    return item


def accept_invitation(
    *, store: ItemStore, clock: Clock, actor: Actor, caller_email: str | None, token: str
) -> dict[str, Any]:
    """The caller gets the invited role; assignment, member, profile, invitation and audit in one transaction."""
    invitation = find_by_token(store=store, token=token)
    changes = Changes(actor=actor, now=clock.now())
    blocked = refusal(invitation, changes.now)
    if blocked is not None:
        raise blocked
    if caller_email and caller_email.lower() != invitation["email"].lower():
        raise Forbidden(
            "This invitation was sent to another email address than your token's.", code="INVITATION_EMAIL_MISMATCH"
        )
    if not re.match(USER_ID_PATTERN, actor.sub):
        raise UnprocessableEntity("Your user id (`sub`) cannot hold tenant roles.", code="INVALID_USER_ID")
    tenant = get_tenant(store=store, tenant_id=invitation["tenantId"])
    require_writable(tenant)
    roles.assign(
        changes,
        store=store,
        tenant_id=tenant["tenantId"],
        user_id=actor.sub,
        role=invitation["role"],
        node_path=invitation["nodePath"],
        node_id=invitation["nodeId"],
        email=invitation["email"],
        require_node=bool(invitation["nodePath"]),
    )
    accepted = _moved(invitation, changes, S.ACCEPTED, acceptedAt=changes.timestamp, acceptedBy=actor.sub)
    changes.put(accepted, version_is(invitation["version"]))  # guards: two accepts (or a cancel) cannot both win
    changes.audit(tenant_id=tenant["tenantId"], action="invitation.accepted", **_audit_of(accepted, invitation))
    _commit(changes, store)
    return accepted


def decline_invitation(*, store: ItemStore, clock: Clock, actor: Actor, token: str) -> dict[str, Any]:
    """PENDING -> DECLINED, by the token holder (no account needed)."""
    invitation = find_by_token(store=store, token=token)
    changes = Changes(actor=actor, now=clock.now())
    blocked = refusal(invitation, changes.now)
    if blocked is not None:
        raise blocked
    declined = _moved(invitation, changes, S.DECLINED, declinedAt=changes.timestamp)
    changes.put(declined, version_is(invitation["version"]))  # guards: a concurrent accept or cancel
    changes.audit(tenant_id=invitation["tenantId"], action="invitation.declined", **_audit_of(declined, invitation))
    _commit(changes, store)
    return declined


# -- helpers


def _require_status(
    item: dict[str, Any], now: datetime, wanted: InvitationStatus, verb: str, *also: InvitationStatus
) -> None:
    status = shown_status(item, now)
    if status is not wanted and status not in also:
        raise Conflict(
            f"Invitation {item['invitationId']} is {status.value}; only a PENDING invitation can be {verb}.",
            code="INVITATION_NOT_PENDING",
            invitationStatus=status.value,
        )


def _moved(item: dict[str, Any], changes: Changes, status: InvitationStatus, **fields: Any) -> dict[str, Any]:
    return {**item, **fields, "status": status.value, "updatedAt": changes.timestamp, "version": item["version"] + 1}


def _with_new_token(item: dict[str, Any], changes: Changes) -> tuple[str, dict[str, Any]]:
    token = secrets.token_urlsafe(32)
    digest = token_hash(token)
    expires = changes.now + timedelta(days=item["expiresInDays"])
    return token, {
        **item,
        "tokenHash": digest,
        "expiresAt": iso(expires),
        "sentCount": item["sentCount"] + 1,
        "lastSentAt": changes.timestamp,
        "updatedAt": changes.timestamp,
        **keys.invitation_indexes(digest, item["invitationId"]),
    }


def _audit_of(after: dict[str, Any], before: dict[str, Any] | None) -> dict[str, Any]:
    """Audit fields for an invitation change; the token hash stays out of the trail."""

    def clean(item: dict[str, Any] | None) -> dict[str, Any] | None:
        return None if item is None else {k: v for k, v in item.items() if k != "tokenHash"}

    return {
        "resource_type": "invitation",
        "resource_id": after["invitationId"],
        "before": clean(before),
        "after": clean(after),
    }


def _send(mailer: Mailer, tenant: dict[str, Any], invitation: dict[str, Any], token: str, base_url: str) -> None:
    subject, body = invitation_email(
        organization=tenant["organizationName"], invitation=invitation, token=token, base_url=base_url
    )
    mailer.send(to=invitation["email"], subject=subject, body=body, tenant_id=tenant["tenantId"])


def _commit(changes: Changes, store: ItemStore) -> None:
    try:
        changes.commit(store)
    except ConditionFailed as exc:
        if exc.sk.startswith(keys.INVITATION_PREFIX):
            now = store.get(exc.pk, exc.sk)
            raise (refusal(now, changes.now) if now else None) or Conflict(
                "The invitation changed meanwhile (accepted, declined, cancelled or resent); read it again.",
                code="INVITATION_CHANGED",
            ) from exc
        raise Conflict("A role of this user changed meanwhile; retry.") from exc
