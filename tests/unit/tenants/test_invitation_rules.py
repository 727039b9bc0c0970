"""Pure invitation rules: shown status, why a token is refused, the email."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bbws.core.clock import iso
from bbws.tenants.invitations import invitation_email, refusal, shown_status, token_hash

NOW = datetime(2026, 3, 1, tzinfo=UTC)


def invitation(status: str = "PENDING", expires: timedelta = timedelta(days=1), **more: Any) -> dict[str, Any]:
    return {"status": status, "expiresAt": iso(NOW + expires), "role": "VIEWER", "nodePath": "", **more}


def test_a_pending_invitation_past_its_expiry_shows_expired() -> None:
    assert shown_status(invitation(), NOW) == "PENDING"
    assert shown_status(invitation(expires=timedelta(0)), NOW) == "EXPIRED"
    assert shown_status(invitation("ACCEPTED", timedelta(days=-1)), NOW) == "ACCEPTED"


def test_refusals() -> None:
    assert refusal(invitation(), NOW) is None
    expired = refusal(invitation(expires=timedelta(seconds=-1)), NOW)
    assert expired is not None and (expired.status, expired.code) == (410, "INVITATION_EXPIRED")
    for status in ("ACCEPTED", "DECLINED", "CANCELLED"):
        used = refusal(invitation(status), NOW)
        assert used is not None and (used.status, used.code) == (409, "INVITATION_ALREADY_USED")
        assert status.lower() in used.detail


def test_the_email_holds_the_url_and_the_token() -> None:
    subject, body = invitation_email(
        organization="Acme",
        invitation=invitation(nodePath="div_a/grp_b", nodeName="Web", role="OPERATOR"),
        token="tok123",
        base_url="https://api.example/",
    )
    assert "Acme" in subject
    assert "https://api.example/v1.0/invitations/tok123" in body and "token: tok123" in body
    assert "OPERATOR of the group 'Web'" in body


def test_the_token_is_stored_hashed() -> None:
    assert token_hash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
