"""Webhook endpoints over HTTP: CRUD, the secret shown once, rotation, permissions, and bad input (SSRF included)."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from tests.integration.webhooks.conftest import PUBLIC_URL, make_webhook
from tests.support.api import ApiHarness, rid


def hooks_url(tenant_id: str) -> str:
    return f"/v1.0/tenants/{tenant_id}/webhooks"


def audit_actions(api: ApiHarness, tenant_id: str) -> list[str]:
    page = api.client.get(f"/v1.0/tenants/{tenant_id}/audit", params={"pageSize": 100}, headers=api.admin())
    return [a["action"] for a in page.json()["items"]]


def test_create_shows_the_secret_once_and_reads_show_only_its_prefix(api: ApiHarness) -> None:
    tid = api.create_tenant()["tenantId"]
    r = api.client.post(hooks_url(tid), headers=api.admin(), json={
        "url": PUBLIC_URL, "eventTypes": ["bbws.tenant.parked", "bbws.site.*"], "description": "Billing"})
    assert r.status_code == 201, r.text
    hook = r.json()
    wid, secret = hook["webhookId"], hook["secret"]
    assert wid.startswith("whk_") and r.headers["location"] == f"{hooks_url(tid)}/{wid}"
    assert r.headers["etag"] == '"1"'
    assert secret.startswith("whsec_") and len(base64.b64decode(secret.removeprefix("whsec_"))) >= 24
    assert hook["secretPrefix"] == secret[:10] and hook["enabled"] is True
    assert {"self", "deliveries", "rotateSecret", "test", "update", "delete"} <= set(hook["_links"])
    one = api.client.get(f"{hooks_url(tid)}/{wid}", headers=api.admin())
    listed = api.client.get(hooks_url(tid), headers=api.admin())
    audit = api.client.get(f"/v1.0/tenants/{tid}/audit", headers=api.admin())
    for answer in (one, listed, audit):
        assert answer.status_code == 200
        assert secret.removeprefix("whsec_") not in answer.text
        assert "previousSecret\"" not in answer.text
    assert one.json()["secretPrefix"] == secret[:10] and "secret" not in one.json()
    assert [h["webhookId"] for h in listed.json()["items"]] == [wid]
    assert audit_actions(api, tid)[0] == "webhook.created"
    assert api.client.get(f"{hooks_url(tid)}/{wid}", headers={**api.admin(), "If-None-Match": '"1"'}).status_code == 304


def test_list_is_paginated(api: ApiHarness) -> None:
    tid = api.create_tenant()["tenantId"]
    made = [make_webhook(api, tid, PUBLIC_URL, ["bbws.site.created"])["webhookId"] for _ in range(3)]
    first = api.client.get(hooks_url(tid), params={"pageSize": 2}, headers=api.admin()).json()
    assert first["moreAvailable"] and len(first["items"]) == 2
    second = api.client.get(first["_links"]["next"]["href"], headers=api.admin()).json()
    assert not second["moreAvailable"]
    assert [h["webhookId"] for h in first["items"] + second["items"]] == made


def test_update_with_if_match_disable_and_reenable(api: ApiHarness) -> None:
    tid = api.create_tenant()["tenantId"]
    hook = make_webhook(api, tid, PUBLIC_URL)
    url = hook["_links"]["self"]["href"]
    stale = api.client.put(url, json={"description": "x"}, headers={**api.admin(), "If-Match": '"7"'})
    assert stale.status_code == 412 and stale.json()["code"] == "PRECONDITION_FAILED"
    r = api.client.put(url, json={"eventTypes": ["bbws.tenant.*"], "description": None},
                       headers={**api.admin(), "If-Match": '"1"'})
    assert r.status_code == 200, r.text
    assert r.json()["eventTypes"] == ["bbws.tenant.*"] and r.json()["description"] is None
    assert r.json()["version"] == 2 and r.headers["etag"] == '"2"'
    off = api.client.put(url, json={"enabled": False}, headers=api.admin()).json()
    assert off["enabled"] is False and off["disabledReason"]
    assert "enable" in off["_links"] and "test" not in off["_links"]
    on = api.client.put(url, json={"enabled": True}, headers=api.admin()).json()
    assert on["enabled"] is True and on["disabledReason"] is None
    assert audit_actions(api, tid)[:4] == ["webhook.enabled", "webhook.disabled", "webhook.updated", "webhook.created"]
    nothing = api.client.put(url, json={}, headers=api.admin())
    assert nothing.status_code == 422 and nothing.json()["code"] == "NOTHING_TO_UPDATE"


def test_rotate_shows_a_new_secret_once_and_keeps_the_old_one_for_a_day(api: ApiHarness) -> None:
    tid = api.create_tenant()["tenantId"]
    hook = make_webhook(api, tid, PUBLIC_URL)
    r = api.client.post(hook["_links"]["rotateSecret"]["href"], headers=api.admin())
    assert r.status_code == 200, r.text
    rotated = r.json()
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != hook["secret"]
    assert rotated["secretPrefix"] == rotated["secret"][:10] and rotated["previousSecretExpiresAt"]
    shown = api.client.get(hook["_links"]["self"]["href"], headers=api.admin()).text
    assert rotated["secret"].removeprefix("whsec_") not in shown and hook["secret"].removeprefix("whsec_") not in shown
    assert audit_actions(api, tid)[0] == "webhook.secret_rotated"


def test_delete_then_404(api: ApiHarness) -> None:
    tid = api.create_tenant()["tenantId"]
    hook = make_webhook(api, tid, PUBLIC_URL)
    url = hook["_links"]["self"]["href"]
    assert api.client.delete(url, headers={**api.admin(), "If-Match": '"9"'}).status_code == 412
    assert api.client.delete(url, headers=api.admin()).status_code == 204
    gone = api.client.get(url, headers=api.admin())
    assert gone.status_code == 404 and gone.json()["code"] == "WEBHOOK_NOT_FOUND"
    assert api.client.delete(url, headers=api.admin()).status_code == 404
    assert audit_actions(api, tid)[0] == "webhook.deleted"


def test_only_tenant_admins_manage_webhooks(api: ApiHarness) -> None:
    tid = api.create_tenant()["tenantId"]
    body = {"url": PUBLIC_URL, "eventTypes": ["*"]}
    for role in ("OPERATOR", "VIEWER"):
        headers = api.member(tid, role)
        assert api.client.post(hooks_url(tid), json=body, headers=headers).status_code == 403
        assert api.client.get(hooks_url(tid), headers=headers).status_code == 403
    admin = api.member(tid, "ADMIN")
    assert api.client.post(hooks_url(tid), json=body, headers=admin).status_code == 201
    assert api.client.get(hooks_url(tid), headers=api.platform("VIEWER")).status_code == 200
    other = api.create_tenant()["tenantId"]
    assert api.client.get(hooks_url(other), headers=admin).status_code == 404


def test_test_ping_is_accepted_and_listed_as_a_pending_delivery(api: ApiHarness) -> None:
    tid = api.create_tenant()["tenantId"]
    hook = make_webhook(api, tid, PUBLIC_URL, ["bbws.site.created"])
    r = api.client.post(hook["_links"]["test"]["href"], headers=api.admin())
    assert r.status_code == 202, r.text
    delivery = r.json()
    assert delivery["eventType"] == "bbws.webhook.test" and delivery["status"] == "PENDING"
    assert delivery["deliveryId"].startswith("dlv_") and delivery["attempts"] == []
    listed = api.client.get(r.headers["location"], headers=api.admin()).json()
    assert [d["deliveryId"] for d in listed["items"]] == [delivery["deliveryId"]]
    assert "payload" not in listed["items"][0]
    api.client.put(hook["_links"]["self"]["href"], json={"enabled": False}, headers=api.admin())
    refused = api.client.post(hook["_links"]["test"]["href"], headers=api.admin())
    assert refused.status_code == 422 and refused.json()["code"] == "WEBHOOK_DISABLED"


BAD_BODIES: list[dict[str, Any]] = [
    {"url": "ftp://x", "eventTypes": ["*"]},
    {"url": "/relative/path", "eventTypes": ["*"]},
    {"url": "https://", "eventTypes": ["*"]},
    {"url": "http://user:pw@hooks.example.com/", "eventTypes": ["*"]},
    {"url": "https://hooks.example.com:99999/", "eventTypes": ["*"]},
    {"url": "not a url", "eventTypes": ["*"]},
    {"url": PUBLIC_URL, "eventTypes": []},
    {"url": PUBLIC_URL, "eventTypes": ["bbws.tenant"]},
    {"url": PUBLIC_URL, "eventTypes": ["tenant.parked"]},
    {"url": PUBLIC_URL, "eventTypes": ["bbws.Tenant.parked"]},
    {"url": PUBLIC_URL, "eventTypes": ["**"]},
    {"url": PUBLIC_URL, "eventTypes": ["bbws.*"]},
    {"url": PUBLIC_URL, "eventTypes": "*"},
    {"url": PUBLIC_URL},
    {"url": PUBLIC_URL, "eventTypes": ["*"], "secret": "whsec_mine"},
]


@pytest.mark.parametrize("body", BAD_BODIES, ids=lambda b: str(b)[:60])
def test_bad_input_is_400_and_changes_nothing(api: ApiHarness, body: dict[str, Any]) -> None:
    tid = api.create_tenant()["tenantId"]
    before = audit_actions(api, tid)
    r = api.client.post(hooks_url(tid), json=body, headers=api.admin())
    assert r.status_code == 400, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "VALIDATION_ERROR" and r.json()["errors"]
    assert api.client.get(hooks_url(tid), headers=api.admin()).json()["items"] == []
    assert audit_actions(api, tid) == before


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/x", "http://10.0.0.1/", "http://[::1]/", "http://169.254.169.254/", "http://0.0.0.0/",
    "http://192.168.1.20:8080/hook", "http://[::ffff:127.0.0.1]/", "http://224.0.0.1/", "http://localhost/hook",
    "http://no-such-host.invalid/hook", "http://[2002:7f00:1:0:0:0:0:0]/", "http://[64:ff9b:0:0:0:0:a9fe:a9fe]/",
    "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/", "http://[::7f00:1]/",
])
def test_urls_reaching_private_or_reserved_addresses_are_refused(api: ApiHarness, url: str) -> None:
    tid = api.create_tenant()["tenantId"]
    before = audit_actions(api, tid)
    r = api.client.post(hooks_url(tid), json={"url": url, "eventTypes": ["*"]}, headers=api.admin())
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "WEBHOOK_URL_NOT_ALLOWED" and r.json()["errors"][0]["field"] == "url"
    assert api.client.get(hooks_url(tid), headers=api.admin()).json()["items"] == []
    assert audit_actions(api, tid) == before


def test_an_update_to_a_refused_url_changes_nothing(api: ApiHarness) -> None:
    tid = api.create_tenant()["tenantId"]
    hook = make_webhook(api, tid, PUBLIC_URL)
    r = api.client.put(hook["_links"]["self"]["href"], json={"url": "http://10.1.2.3/"}, headers=api.admin())
    assert r.status_code == 422 and r.json()["code"] == "WEBHOOK_URL_NOT_ALLOWED"
    r = api.client.put(hook["_links"]["self"]["href"], json={"url": None}, headers=api.admin())
    assert r.status_code == 400
    after = api.client.get(hook["_links"]["self"]["href"], headers=api.admin()).json()
    assert after["url"] == PUBLIC_URL and after["version"] == 1


def test_loopback_and_private_urls_are_allowed_when_the_setting_says_so(local: ApiHarness) -> None:
    tid = local.create_tenant()["tenantId"]
    for url in ("http://127.0.0.1:9/x", "http://10.0.0.1/", "http://[::1]/"):
        make_webhook(local, tid, url)
    r = local.client.post(hooks_url(tid), json={"url": "http://169.254.169.254/", "eventTypes": ["*"]},
                          headers=local.admin())
    assert r.status_code == 422, "link-local (the metadata service) stays refused"


def test_unknown_webhook_ids_are_404(api: ApiHarness) -> None:
    tid = api.create_tenant()["tenantId"]
    missing = f"{hooks_url(tid)}/whk_{'0' * 26}"
    for method, path in (("GET", ""), ("PUT", ""), ("DELETE", ""), ("POST", "/rotate-secret"), ("POST", "/test"),
                         ("GET", "/deliveries")):
        r = api.client.request(method, missing + path, headers=api.admin(),
                               **({"json": {"description": rid("d")}} if method == "PUT" else {}))
        assert r.status_code == 404 and r.json()["code"] == "WEBHOOK_NOT_FOUND", (method, path, r.text)
