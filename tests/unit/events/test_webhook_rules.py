"""Webhook rules without I/O: URL shape, destinations, event filters, secrets, the retry schedule, endpoint health
and signatures (signed here, verified by `bbws.client.verify_webhook`)."""

from __future__ import annotations

import base64
import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bbws.client import WebhookVerificationError, verify_webhook
from bbws.core.clock import iso
from bbws.core.errors import UnprocessableEntity
from bbws.notifications import destinations, webhooks
from bbws.notifications import keys as webhook_keys
from bbws.notifications.delivery import (
    BACKOFF_SECONDS,
    RETRY_WINDOW,
    HttpSender,
    SendResult,
    after_attempt,
    endpoint_health,
    next_attempt_at,
    signature_headers,
)

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("url", ["https://hooks.example.com/x?y=1", "http://93.184.215.14:8080/", "http://[::1]/"])
def test_good_url_shapes(url: str) -> None:
    assert destinations.check_url_shape(url) == url


@pytest.mark.parametrize("url", ["ftp://x", "//host/x", "https://", "http://a:b@host/", "http://host:0/",
                                 "http://host:70000/", "mailto:a@example.com", "javascript:alert(1)"])
def test_bad_url_shapes(url: str) -> None:
    with pytest.raises(ValueError):
        destinations.check_url_shape(url)


def test_event_type_patterns() -> None:
    assert destinations.check_event_types(["*", "bbws.tenant.parked", "bbws.site.*", "bbws.tenant.parked"]) == [
        "*", "bbws.tenant.parked", "bbws.site.*"]
    for bad in (["bbws.tenant"], ["bbws.*"], ["bbws.tenant.parked.now"], ["BBWS.tenant.parked"], [""], ["*.*"]):
        with pytest.raises(ValueError):
            destinations.check_event_types(bad)


@pytest.mark.parametrize(("address", "strict", "relaxed"), [
    ("93.184.215.14", None, None),
    ("2606:4700::1111", None, None),
    ("127.0.0.1", "loopback", None),
    ("::1", "loopback", None),
    ("::ffff:127.0.0.1", "loopback", None),
    ("10.0.0.1", "private", None),
    ("fd00::1", "private", None),
    ("100.64.0.1", "private", None),
    ("169.254.169.254", "link-local", "link-local"),
    ("fe80::1%eth0", "link-local", "link-local"),
    ("224.0.0.1", "multicast", "multicast"),
    ("240.0.0.1", "reserved", "reserved"),
    ("0.0.0.0", "unspecified", "unspecified"),
    ("::", "unspecified", "unspecified"),
])
def test_destination_addresses(address: str, strict: str | None, relaxed: str | None) -> None:
    assert destinations.address_refused(address, allow_private=False) == strict
    assert destinations.address_refused(address, allow_private=True) == relaxed


@pytest.mark.parametrize(("address", "strict", "relaxed"), [
    # 6to4 (2002::/16) carries an IPv4 address in bits 16-47
    ("2002:7f00:1::", "loopback (6to4 of 127.0.0.1)", None),
    ("2002:a00:1::1", "private (6to4 of 10.0.0.1)", None),
    ("2002:a9fe:a9fe::", "link-local (6to4 of 169.254.169.254)", "link-local (6to4 of 169.254.169.254)"),
    ("2002::", "unspecified (6to4 of 0.0.0.0)", "unspecified (6to4 of 0.0.0.0)"),
    ("2002:808:808::", None, None),
    # Teredo (2001::/32): the server's address, and the client's stored inverted
    ("2001:0:4136:e378:8000:63bf:80ff:fffe", "loopback (Teredo of 127.0.0.1)", None),
    ("2001:0:a00:1:8000:63bf:f7f7:f7f7", "private (Teredo of 10.0.0.1)", None),
    ("2001:0:a9fe:a9fe:8000:63bf:f7f7:f7f7", "link-local (Teredo of 169.254.169.254)",
     "link-local (Teredo of 169.254.169.254)"),
    ("2001:0:4136:e378:8000:63bf:f7f7:f7f7", "private", None),  # Teredo itself is not a global range
    # NAT64: the well-known prefix carries the IPv4 address in its last 32 bits; the local-use one anywhere
    ("64:ff9b::7f00:1", "loopback (NAT64 of 127.0.0.1)", None),
    ("64:ff9b::a9fe:a9fe", "link-local (NAT64 of 169.254.169.254)", "link-local (NAT64 of 169.254.169.254)"),
    ("64:ff9b::808:808", None, None),
    ("64:ff9b:1::7f00:1", "reserved", "reserved"),
    ("64:ff9b:1:808:8:800::", "reserved", "reserved"),
    # IPv4-mapped and IPv4-compatible
    ("::ffff:169.254.169.254", "link-local", "link-local"),
    ("::ffff:8.8.8.8", None, None),
    ("::127.0.0.2", "loopback (IPv4-compatible of 127.0.0.2)", "reserved"),
    ("::a9fe:a9fe", "link-local (IPv4-compatible of 169.254.169.254)",
     "link-local (IPv4-compatible of 169.254.169.254)"),
    ("::8.8.8.8", "reserved", "reserved"),  # deprecated, never routed
])
def test_ipv6_forms_that_carry_an_ipv4_address_are_judged_by_it(
    address: str, strict: str | None, relaxed: str | None
) -> None:
    assert destinations.address_refused(address, allow_private=False) == strict
    assert destinations.address_refused(address, allow_private=True) == relaxed


def test_a_delivery_is_refused_when_the_host_now_resolves_to_a_6to4_of_loopback() -> None:
    def resolve(host: str, port: int) -> list[str]:
        return ["2002:7f00:1::"]  # accepted at registration; DNS changed since

    sent = HttpSender(allow_private=False, resolve=resolve)("https://hooks.example.com/x", b"{}", {})
    assert sent.status_code is None
    assert sent.error is not None and "2002:7f00:1:: is loopback (6to4 of 127.0.0.1)" in sent.error


def test_every_resolved_address_must_be_allowed() -> None:
    def resolve(host: str, port: int) -> list[str]:
        assert (host, port) == ("hooks.example.com", 443)
        return ["93.184.215.14", "10.0.0.7"]  # one bad answer is enough to refuse (DNS rebinding)

    with pytest.raises(UnprocessableEntity) as caught:
        destinations.destination_addresses("https://hooks.example.com/x", allow_private=False, resolve=resolve)
    assert caught.value.code == "WEBHOOK_URL_NOT_ALLOWED" and "10.0.0.7 is private" in caught.value.detail
    assert destinations.destination_addresses("https://hooks.example.com/x", allow_private=True, resolve=resolve)


def test_secrets_are_whsec_base64_of_24_random_bytes() -> None:
    made = {webhooks.new_secret() for _ in range(20)}
    assert len(made) == 20
    for secret in made:
        assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) == webhooks.SECRET_BYTES


def test_the_previous_secret_signs_only_during_the_overlap() -> None:
    hook = {"secret": "whsec_new", "previousSecret": "whsec_old", "previousSecretExpiresAt": iso(T0)}
    assert webhooks.signing_secrets(hook, T0 - timedelta(seconds=1)) == ["whsec_new", "whsec_old"]
    assert webhooks.signing_secrets(hook, T0) == ["whsec_new"]
    assert webhooks.redacted({**hook, "url": "u"}) == {"previousSecretExpiresAt": iso(T0), "url": "u"}


def test_the_schedule_backs_off_and_ends_within_24_hours() -> None:
    now, failed, times = T0, 1, [T0]
    while (nxt := next_attempt_at(T0, now, failed)) is not None:
        times.append(nxt)
        now, failed = nxt, failed + 1
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
    assert gaps[: len(BACKOFF_SECONDS)] == list(BACKOFF_SECONDS)
    assert times[-1] == T0 + RETRY_WINDOW and len(times) == 12


def _delivery(**fields: Any) -> dict[str, Any]:
    return {"deliveryId": "dlv_1", "attempts": [], "version": 2, "createdAt": iso(T0), "status": "PENDING",
            "GSI1PK": webhook_keys.DUE_INDEX, "GSI1SK": "x", **fields}


def test_after_an_attempt() -> None:
    ok = after_attempt(_delivery(), SendResult(204, 12), T0)
    assert ok["status"] == "SUCCEEDED" and "GSI1PK" not in ok and ok["attempts"][0]["statusCode"] == 204
    failed = after_attempt(_delivery(), SendResult(None, 10_000, "ReadTimeout: " + "x" * 900), T0)
    assert failed["status"] == "FAILED" and failed["nextAttemptAt"] == iso(T0 + timedelta(seconds=5))
    assert failed["GSI1SK"].startswith(failed["nextAttemptAt"]) and len(failed["attempts"][0]["error"]) == 500
    gone = after_attempt(_delivery(), SendResult(410, 3, "HTTP 410"), T0)
    assert gone["status"] == "GIVEN_UP" and "410" in gone["reason"]
    late = after_attempt(_delivery(), SendResult(500, 3, "HTTP 500"), T0 + RETRY_WINDOW)
    assert late["status"] == "GIVEN_UP" and late["nextAttemptAt"] is None


def test_endpoint_health() -> None:
    hook: dict[str, Any] = {"failingSince": None}
    assert endpoint_health(hook, _delivery(), SendResult(200, 1), T0) == (None, None)
    assert endpoint_health(hook, _delivery(status="FAILED"), SendResult(500, 1), T0) == ({"failingSince": iso(T0)},
                                                                                          None)
    failing = {"failingSince": iso(T0)}
    assert endpoint_health(failing, _delivery(), SendResult(200, 1), T0) == ({"failingSince": None}, None)
    given_up = _delivery(status="GIVEN_UP", deliveryId="dlv_9")
    assert endpoint_health(failing, given_up, SendResult(500, 1), T0 + timedelta(hours=23)) == (None, None)
    _, reason = endpoint_health(failing, given_up, SendResult(500, 1), T0 + RETRY_WINDOW)
    assert reason and "dlv_9" in reason
    _, reason = endpoint_health(hook, _delivery(), SendResult(410, 1), T0)
    assert reason and "410" in reason


def test_signatures_verify_with_each_secret_and_fail_when_tampered() -> None:
    secrets = [webhooks.new_secret(), webhooks.new_secret()]
    payload = '{"id":"evt_1","type":"bbws.tenant.parked"}'
    headers = signature_headers("evt_1", payload, secrets, datetime.now(UTC))
    assert headers["webhook-id"] == "evt_1" and headers["webhook-signature"].count("v1,") == 2
    for secret in secrets:
        assert verify_webhook(secret, headers, payload.encode())["type"] == "bbws.tenant.parked"
    with pytest.raises(WebhookVerificationError):
        verify_webhook(secrets[0], headers, payload.replace("parked", "resumed"))
    with pytest.raises(WebhookVerificationError):
        verify_webhook(webhooks.new_secret(), headers, payload)
    with pytest.raises(WebhookVerificationError):
        verify_webhook(secrets[0], {k: v for k, v in headers.items() if k != "webhook-timestamp"}, payload)
    stale = signature_headers("evt_1", payload, secrets, datetime.now(UTC) - timedelta(minutes=6))
    with pytest.raises(WebhookVerificationError, match="too old"):
        verify_webhook(secrets[0], stale, payload)
    with pytest.raises(WebhookVerificationError):
        verify_webhook(secrets[0], headers, b"not json")
