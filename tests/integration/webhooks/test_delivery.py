"""Webhook deliveries end to end: relay -> fan-out -> scheduler -> a real receiver on loopback, signed; retries on a
manual clock, give-up and disabling, filters, rotation, and the destination check repeated at delivery time."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from standardwebhooks import Webhook

from bbws.client import WebhookVerificationError, verify_webhook
from bbws.core.clock import ManualClock, parse_iso
from bbws.core.events import Event
from bbws.notifications.delivery import HttpSender, deliver_due, fan_out
from tests.integration.webhooks.conftest import Receiver, make_webhook
from tests.support.api import ApiHarness

REASON = {"reason": "Webhook test: parked for a while"}


def park(api: ApiHarness, tenant_id: str) -> None:
    r = api.client.post(f"/v1.0/tenants/{tenant_id}/lifecycle/park", json=REASON, headers=api.admin())
    assert api.wait(r)["status"] == "COMPLETED"


def deliveries(api: ApiHarness, hook: dict[str, Any]) -> list[dict[str, Any]]:
    r = api.client.get(hook["_links"]["deliveries"]["href"], params={"pageSize": 100}, headers=api.admin())
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


def webhook(api: ApiHarness, hook: dict[str, Any]) -> dict[str, Any]:
    return dict(api.client.get(hook["_links"]["self"]["href"], headers=api.admin()).json())


def test_a_parked_tenant_reaches_the_receiver_signed(local: ApiHarness, receiver: Receiver) -> None:
    tid = local.create_tenant()["tenantId"]
    hook = make_webhook(local, tid, receiver.url, ["bbws.tenant.parked"])
    park(local, tid)
    got = receiver.of_type("bbws.tenant.parked")
    assert len(got) == 1, [r.body for r in receiver.requests]
    request = got[0]
    event = verify_webhook(hook["secret"], request.headers, request.body)
    assert event["type"] == "bbws.tenant.parked" and event["tenantId"] == tid
    assert event["source"] == "bbws.tenant-management" and request.headers["webhook-id"] == event["id"]
    assert request.headers["content-type"] == "application/json"
    [delivery] = deliveries(local, hook)
    assert delivery["status"] == "SUCCEEDED" and delivery["eventId"] == event["id"]
    assert [a["statusCode"] for a in delivery["attempts"]] == [200] and delivery["attempts"][0]["durationMs"] >= 0
    # Replaying the relay's hand-off (a crash before it deleted the outbox items) makes no second delivery.
    assert fan_out([Event.from_envelope(event)], store=local.container.store, clock=local.container.clock) == 0


def test_a_tampered_body_an_old_timestamp_or_another_secret_fail_verification(
    local: ApiHarness, receiver: Receiver
) -> None:
    tid = local.create_tenant()["tenantId"]
    hook = make_webhook(local, tid, receiver.url)
    park(local, tid)
    request = receiver.of_type("bbws.tenant.parked")[0]
    tampered = request.body.replace(b"bbws.tenant.parked", b"bbws.tenant.resumed")
    with pytest.raises(WebhookVerificationError):
        verify_webhook(hook["secret"], request.headers, tampered)
    old = datetime.now(UTC) - timedelta(minutes=10)
    resigned = {**request.headers, "webhook-timestamp": str(int(old.timestamp())),
                "webhook-signature": Webhook(hook["secret"]).sign(request.headers["webhook-id"], old,
                                                                  request.body.decode())}
    with pytest.raises(WebhookVerificationError, match="too old"):
        verify_webhook(hook["secret"], resigned, request.body)
    other = make_webhook(local, tid, receiver.url, ["bbws.site.created"])["secret"]
    with pytest.raises(WebhookVerificationError):
        verify_webhook(other, request.headers, request.body)
    with pytest.raises(WebhookVerificationError):
        verify_webhook(hook["secret"], {**request.headers, "webhook-signature": "v1,not base64!"}, request.body)


def test_failures_are_retried_on_the_deliverys_own_schedule(
    local: ApiHarness, receiver: Receiver, clock: ManualClock
) -> None:
    tid = local.create_tenant()["tenantId"]
    hook = make_webhook(local, tid, receiver.url, ["bbws.tenant.parked"])
    receiver.answers = [500, 500]
    park(local, tid)
    [delivery] = deliveries(local, hook)
    assert delivery["status"] == "FAILED" and len(delivery["attempts"]) == 1
    assert "receiver says no" in delivery["attempts"][0]["error"]
    assert webhook(local, hook)["failingSince"] is not None
    assert deliver_due(local.container) == 0, "not due before its backoff"
    clock.advance(seconds=5)
    assert deliver_due(local.container) == 1
    clock.advance(seconds=29)
    assert deliver_due(local.container) == 0
    clock.advance(seconds=1)
    assert deliver_due(local.container) == 1
    [delivery] = deliveries(local, hook)
    assert delivery["status"] == "SUCCEEDED" and delivery["nextAttemptAt"] is None
    assert [a["statusCode"] for a in delivery["attempts"]] == [500, 500, 200]
    times = [parse_iso(a["time"]) for a in delivery["attempts"]]
    assert [(b - a).total_seconds() for a, b in itertools.pairwise(times)] == [5, 30]
    assert len(receiver.of_type("bbws.tenant.parked")) == 3
    assert len({r.headers["webhook-id"] for r in receiver.requests}) == 1, "one message id across retries"
    assert webhook(local, hook)["failingSince"] is None, "a success forgets past failures"


def test_an_endpoint_failing_for_24_hours_is_given_up_and_disabled(
    local: ApiHarness, receiver: Receiver, clock: ManualClock
) -> None:
    tid = local.create_tenant()["tenantId"]
    hook = make_webhook(local, tid, receiver.url, ["bbws.tenant.parked"])
    receiver.default = 503
    started = clock.now()
    park(local, tid)
    for _ in range(30):
        [delivery] = deliveries(local, hook)
        if delivery["status"] == "GIVEN_UP":
            break
        clock.advance(seconds=(parse_iso(delivery["nextAttemptAt"]) - clock.now()).total_seconds())
        deliver_due(local.container)
    assert delivery["status"] == "GIVEN_UP" and "24 h" in delivery["reason"]
    last = parse_iso(delivery["attempts"][-1]["time"])
    assert len(delivery["attempts"]) >= 10 and last <= started + timedelta(hours=24, seconds=1)
    assert all(a["statusCode"] == 503 for a in delivery["attempts"])
    disabled = webhook(local, hook)
    assert disabled["enabled"] is False and disabled["disabledReason"]
    audit = local.client.get(f"/v1.0/tenants/{tid}/audit", headers=local.admin()).json()["items"]
    assert audit[0]["action"] == "webhook.disabled" and audit[0]["resourceId"] == hook["webhookId"]
    # Disabled: new events make no deliveries, until the tenant re-enables it.
    local.wait(local.client.post(f"/v1.0/tenants/{tid}/lifecycle/unpark", headers=local.admin()))
    assert len(deliveries(local, hook)) == 1
    receiver.default = 200
    on = local.client.put(hook["_links"]["self"]["href"], json={"enabled": True}, headers=local.admin()).json()
    assert on["enabled"] is True and on["failingSince"] is None
    local.client.post(f"/v1.0/tenants/{tid}/lifecycle/park", json=REASON, headers=local.admin())
    local.run_jobs()
    assert [d["status"] for d in deliveries(local, hook)][:1] == ["SUCCEEDED"]


def test_410_gone_disables_the_endpoint_at_once(local: ApiHarness, receiver: Receiver) -> None:
    tid = local.create_tenant()["tenantId"]
    hook = make_webhook(local, tid, receiver.url, ["bbws.tenant.parked"])
    receiver.default = 410
    park(local, tid)
    [delivery] = deliveries(local, hook)
    assert delivery["status"] == "GIVEN_UP" and len(delivery["attempts"]) == 1
    assert webhook(local, hook)["enabled"] is False
    audit = local.client.get(f"/v1.0/tenants/{tid}/audit", headers=local.admin()).json()["items"]
    assert "webhook.disabled" in [a["action"] for a in audit]


def test_event_type_filters_are_respected(local: ApiHarness, receiver: Receiver) -> None:
    tid = local.create_tenant()["tenantId"]
    exact = make_webhook(local, tid, receiver.url + "?h=exact", ["bbws.tenant.parked"])
    area = make_webhook(local, tid, receiver.url + "?h=area", ["bbws.tenant.*"])
    other = make_webhook(local, tid, receiver.url + "?h=other", ["bbws.tenant.unparked", "bbws.site.*"])
    everything = make_webhook(local, tid, receiver.url + "?h=all", ["*"])
    park(local, tid)
    types = {name: sorted({d["eventType"] for d in deliveries(local, h)})
             for name, h in (("exact", exact), ("area", area), ("other", other), ("all", everything))}
    assert types["exact"] == ["bbws.tenant.parked"]
    assert "bbws.tenant.parked" in types["area"] and all(t.startswith("bbws.tenant.") for t in types["area"])
    assert types["other"] == []
    assert set(types["area"]) <= set(types["all"]) and "bbws.webhook.created" in types["all"]
    assert not [r for r in receiver.requests if r.path.endswith("h=other")]


def test_after_rotation_both_secrets_sign_for_a_day(local: ApiHarness, receiver: Receiver, clock: ManualClock) -> None:
    tid = local.create_tenant()["tenantId"]
    hook = make_webhook(local, tid, receiver.url, ["bbws.site.created"])
    new_secret = local.client.post(hook["_links"]["rotateSecret"]["href"], headers=local.admin()).json()["secret"]
    assert local.client.post(hook["_links"]["test"]["href"], headers=local.admin()).status_code == 202
    deliver_due(local.container)
    request = receiver.of_type("bbws.webhook.test")[-1]
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    assert verify_webhook(hook["secret"], request.headers, request.body)["type"] == "bbws.webhook.test"
    assert verify_webhook(new_secret, request.headers, request.body)["data"]["webhookId"] == hook["webhookId"]
    clock.advance(hours=24, seconds=1)
    local.client.post(hook["_links"]["test"]["href"], headers=local.admin())
    deliver_due(local.container)
    later = receiver.of_type("bbws.webhook.test")[-1]
    assert len(later.headers["webhook-signature"].split(" ")) == 1
    verify_webhook(new_secret, later.headers, later.body)
    with pytest.raises(WebhookVerificationError):
        verify_webhook(hook["secret"], later.headers, later.body)


def test_the_destination_is_checked_again_at_delivery_time(local: ApiHarness, receiver: Receiver) -> None:
    tid = local.create_tenant()["tenantId"]
    hook = make_webhook(local, tid, receiver.url, ["bbws.site.created"])
    local.container.webhook_sender = HttpSender(allow_private=False)  # as if the host now resolved privately
    local.client.post(hook["_links"]["test"]["href"], headers=local.admin())
    assert deliver_due(local.container) == 1
    [delivery] = deliveries(local, hook)
    assert delivery["status"] == "FAILED" and delivery["attempts"][0]["statusCode"] is None
    assert "not allowed" in delivery["attempts"][0]["error"] and receiver.requests == []


def test_redirects_are_not_followed(local: ApiHarness, receiver: Receiver) -> None:
    tid = local.create_tenant()["tenantId"]
    hook = make_webhook(local, tid, receiver.url, ["bbws.site.created"])
    receiver.answers = [302]
    local.client.post(hook["_links"]["test"]["href"], headers=local.admin())
    deliver_due(local.container)
    [delivery] = deliveries(local, hook)
    assert delivery["status"] == "FAILED" and delivery["attempts"][0]["statusCode"] == 302
    assert "not followed" in delivery["attempts"][0]["error"] and len(receiver.requests) == 1


def test_a_deleted_endpoints_pending_deliveries_are_given_up(local: ApiHarness, receiver: Receiver) -> None:
    tid = local.create_tenant()["tenantId"]
    hook = make_webhook(local, tid, receiver.url, ["bbws.site.created"])
    delivery = local.client.post(hook["_links"]["test"]["href"], headers=local.admin()).json()
    assert local.client.delete(hook["_links"]["self"]["href"], headers=local.admin()).status_code == 204
    assert deliver_due(local.container) == 1
    assert receiver.requests == []
    store = local.container.store
    [item] = [i for i in store.query(f"TENANT#{tid}", sk_prefix="DELIVERY#").items
              if i["deliveryId"] == delivery["deliveryId"]]
    assert item["status"] == "GIVEN_UP" and "deleted" in item["reason"] and "GSI1PK" not in item
    assert json.loads(item["payload"])["type"] == "bbws.webhook.test"
