"""Invitations API over HTTP: invite, email, view/accept/decline by token, cancel, resend, expiry."""

from __future__ import annotations

import re
from typing import Any

import pytest

from bbws.core.changes import Actor
from bbws.core.clock import ManualClock
from bbws.core.errors import Conflict
from bbws.tenants import invitations
from tests.integration.tenants.conftest import Tree, make_tree
from tests.support.api import ApiHarness, rid

TOKEN_IN_MAIL = re.compile(r"Your invitation token: (\S+)")


def invite(api: ApiHarness, tid: str, status: int = 201, headers: dict[str, str] | None = None, **body: Any) -> Any:
    body.setdefault("email", f"{rid('new')}@example.com")
    body.setdefault("role", "VIEWER")
    r = api.client.post(f"/v1.0/tenants/{tid}/invitations", headers=headers or api.admin(), json=body)
    assert r.status_code == status, r.text
    return r.json()


def last_token(api: ApiHarness, email: str) -> str:
    mails = [m for m in api.container.mailer.messages() if m.to == email]
    match = TOKEN_IN_MAIL.search(mails[-1].body)
    assert match is not None
    return match.group(1)


def invited(api: ApiHarness, tid: str, **body: Any) -> tuple[dict[str, Any], str]:
    """An invitation and its token (read from the email)."""
    item = invite(api, tid, **body)
    return item, last_token(api, item["email"])


def test_create_sends_an_email_with_the_token_and_never_shows_it(api: ApiHarness, tree: Tree) -> None:
    email = f"{rid('dev')}@example.com"
    r = api.client.post(
        tree.url() + "/invitations",
        headers=api.admin(),
        json={"email": email, "role": "OPERATOR", "nodeId": tree.team["nodeId"]},
    )
    assert r.status_code == 201
    item = r.json()
    assert r.headers["location"] == f"{tree.url()}/invitations/{item['invitationId']}"
    assert item["status"] == "PENDING" and item["nodePath"] == tree.team["path"] and item["sentCount"] == 1
    assert item["expiresInDays"] == 7 and "tokenHash" not in item
    assert {"cancel", "resend", "self", "node"} <= set(item["_links"])
    [mail] = [m for m in api.container.mailer.messages() if m.to == email]
    token = last_token(api, email)
    base = api.settings.base_url
    assert f"{base}/v1.0/invitations/{token}" in mail.body and mail.tenantId == tree.tenant_id
    assert tree.team["name"] in mail.body and "OPERATOR" in mail.body
    got = api.client.get(item["_links"]["self"]["href"], headers=api.admin())
    assert got.json() == item and token not in got.text
    audit = api.client.get(tree.url() + "/audit", headers=api.admin()).text
    assert "invitation.created" in audit and token not in audit and "tokenHash" not in audit


def test_the_token_holder_sees_the_invitation_without_signing_in(api: ApiHarness, tree: Tree) -> None:
    item, token = invited(api, tree.tenant_id, role="ADMIN", nodeId=tree.division["nodeId"])
    r = api.client.get(f"/v1.0/invitations/{token}")
    assert r.status_code == 200 and "ratelimit-remaining" in r.headers
    view = r.json()
    tenant = api.client.get(tree.url(), headers=api.admin()).json()
    assert view["organizationName"] == tenant["organizationName"] and view["nodeName"] == tree.division["name"]
    assert view["role"] == "ADMIN" and view["status"] == "PENDING" and view["expiresAt"] == item["expiresAt"]
    assert view["_links"]["accept"] == {"href": "/v1.0/invitations/{token}/accept", "method": "POST"}
    assert token not in r.text
    unknown = api.client.get("/v1.0/invitations/" + "A" * 43)
    assert unknown.status_code == 404 and unknown.json()["code"] == "INVITATION_NOT_FOUND"
    assert api.client.get("/v1.0/invitations/short").status_code == 400


def test_accept_grants_the_role_once(api: ApiHarness, tree: Tree) -> None:
    item, token = invited(api, tree.tenant_id, role="OPERATOR", nodeId=tree.team["nodeId"])
    user = rid("user")
    me = api.headers(api.token(user, email=item["email"].upper()))
    assert api.client.post(f"/v1.0/invitations/{token}/accept").status_code == 401
    r = api.client.post(f"/v1.0/invitations/{token}/accept", headers=me)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "ACCEPTED" and r.json()["_links"]["tenants"]["href"] == f"/v1.0/users/{user}/tenants"
    member = api.client.get(f"{tree.url()}/users/{user}", headers=api.admin()).json()
    assert [(a["role"], a["nodeId"]) for a in member["assignments"]] == [("OPERATOR", tree.team["nodeId"])]
    assert member["email"] == item["email"]
    assert api.client.get(tree.url("team"), headers=me).json()["assignmentCount"] == 1
    got = api.client.get(item["_links"]["self"]["href"], headers=api.admin()).json()
    assert got["status"] == "ACCEPTED" and got["acceptedBy"] == user and "cancel" not in got["_links"]
    for again in (
        api.client.post(f"/v1.0/invitations/{token}/accept", headers=api.headers(api.token(rid("other")))),
        api.client.post(f"/v1.0/invitations/{token}/decline"),
    ):
        assert again.status_code == 409 and again.json()["code"] == "INVITATION_ALREADY_USED"
        assert "accepted" in again.json()["detail"]
    assert api.client.get(f"/v1.0/invitations/{token}").json()["status"] == "ACCEPTED"
    # The accepted email is now a known user: another tenant can assign them a role by email.
    other = api.create_tenant()["tenantId"]
    by_email = api.client.post(
        f"/v1.0/tenants/{other}/users", headers=api.admin(), json={"email": item["email"], "role": "VIEWER"}
    )
    assert by_email.status_code == 201 and by_email.json()["userId"] == user
    actions = [a["action"] for a in api.client.get(tree.url() + "/audit", headers=api.admin()).json()["items"]]
    assert {"invitation.accepted", "user.role_assigned"} <= set(actions[:2])


def test_accept_with_another_email_is_403_and_changes_nothing(api: ApiHarness, tree: Tree) -> None:
    _, token = invited(api, tree.tenant_id)
    user = rid("user")
    r = api.client.post(
        f"/v1.0/invitations/{token}/accept", headers=api.headers(api.token(user, email="someone.else@example.com"))
    )
    assert r.status_code == 403 and r.json()["code"] == "INVITATION_EMAIL_MISMATCH"
    assert api.client.get(f"{tree.url()}/users/{user}", headers=api.admin()).status_code == 404
    assert api.client.get(f"/v1.0/invitations/{token}").json()["status"] == "PENDING"


def test_decline_needs_only_the_token(api: ApiHarness, tree: Tree) -> None:
    item, token = invited(api, tree.tenant_id)
    r = api.client.post(f"/v1.0/invitations/{token}/decline")
    assert r.status_code == 200 and r.json()["status"] == "DECLINED" and "accept" not in r.json()["_links"]
    accept = api.client.post(f"/v1.0/invitations/{token}/accept", headers=api.headers(api.token()))
    assert accept.status_code == 409 and "declined" in accept.json()["detail"]
    assert api.client.get(tree.url() + "/users", headers=api.admin()).json()["items"] == []
    cancel = api.client.delete(item["_links"]["self"]["href"], headers=api.admin())
    assert cancel.status_code == 409 and cancel.json()["code"] == "INVITATION_NOT_PENDING"


def test_cancel_kills_the_token(api: ApiHarness, tree: Tree) -> None:
    item, token = invited(api, tree.tenant_id)
    url = item["_links"]["self"]["href"]
    assert api.client.delete(url, headers={**api.admin(), "If-Match": '"9"'}).status_code == 412
    r = api.client.delete(url, headers={**api.admin(), "If-Match": '"1"'})
    assert r.status_code == 200 and r.json()["status"] == "CANCELLED" and "resend" not in r.json()["_links"]
    used = api.client.post(f"/v1.0/invitations/{token}/accept", headers=api.headers(api.token()))
    assert used.status_code == 409 and "cancelled" in used.json()["detail"]
    assert api.client.delete(url, headers=api.admin()).json()["code"] == "INVITATION_NOT_PENDING"
    assert api.client.post(url + "/resend", headers=api.admin()).status_code == 409


def test_expiry_and_resend(clocked: ApiHarness, clock: ManualClock) -> None:
    api = clocked
    tree = make_tree(api)
    item, old = invited(api, tree.tenant_id, expiresInDays=2)
    clock.advance(days=2, seconds=1)
    assert api.client.get(f"/v1.0/invitations/{old}").json()["status"] == "EXPIRED"
    r = api.client.post(f"/v1.0/invitations/{old}/accept", headers=api.headers(api.token()))
    assert r.status_code == 410 and r.json()["code"] == "INVITATION_EXPIRED"
    assert api.client.post(f"/v1.0/invitations/{old}/decline").status_code == 410
    listing = tree.url() + "/invitations"
    expired = api.client.get(listing + "?status=EXPIRED", headers=api.admin()).json()["items"]
    assert [i["invitationId"] for i in expired] == [item["invitationId"]] and "cancel" not in expired[0]["_links"]
    assert api.client.get(listing + "?status=PENDING", headers=api.admin()).json()["items"] == []
    assert api.client.delete(item["_links"]["self"]["href"], headers=api.admin()).status_code == 409

    resent = api.client.post(item["_links"]["self"]["href"] + "/resend", headers=api.admin())
    assert resent.status_code == 200 and resent.json()["status"] == "PENDING" and resent.json()["sentCount"] == 2
    assert resent.json()["expiresAt"] > item["expiresAt"]
    new = last_token(api, item["email"])
    assert new != old and len([m for m in api.container.mailer.messages() if m.to == item["email"]]) == 2
    dead = api.client.get(f"/v1.0/invitations/{old}")
    assert dead.status_code == 404 and dead.json()["code"] == "INVITATION_NOT_FOUND"
    user = rid("user")
    assert api.client.post(f"/v1.0/invitations/{new}/accept", headers=api.headers(api.token(user))).status_code == 200
    assert api.client.get(f"{tree.url()}/users/{user}", headers=api.admin()).status_code == 200


def test_list_filters_by_status_and_paginates(api: ApiHarness, tree: Tree) -> None:
    items = [invited(api, tree.tenant_id) for _ in range(3)]
    api.client.post(f"/v1.0/invitations/{items[0][1]}/decline")
    url = tree.url() + "/invitations"
    first = api.client.get(url + "?pageSize=2", headers=api.admin()).json()
    rest = api.client.get(first["_links"]["next"]["href"], headers=api.admin()).json()
    assert len(first["items"] + rest["items"]) == 3
    declined = api.client.get(url + "?status=DECLINED", headers=api.admin()).json()["items"]
    assert [i["invitationId"] for i in declined] == [items[0][0]["invitationId"]]
    assert len(api.client.get(url + "?status=PENDING", headers=api.admin()).json()["items"]) == 2
    assert api.client.get(url + "?status=LOST", headers=api.admin()).status_code == 400


def test_bad_input_is_rejected_and_sends_nothing(api: ApiHarness, tree: Tree) -> None:
    url = tree.url() + "/invitations"
    sent = len(api.container.mailer.messages())
    for body, status in [
        ({"email": "nope", "role": "VIEWER"}, 400),
        ({"email": "a@example.com", "role": "OWNER"}, 400),
        ({"email": "a@example.com"}, 400),
        ({"email": "a@example.com", "role": "VIEWER", "expiresInDays": 0}, 400),
        ({"email": "a@example.com", "role": "VIEWER", "expiresInDays": 31}, 400),
        ({"email": "a@example.com", "role": "VIEWER", "token": "mine"}, 400),
        ({"email": "a@example.com", "role": "VIEWER", "nodeId": "team_x"}, 400),
        ({"email": "a@example.com", "role": "VIEWER", "nodeId": "team_" + "0" * 26}, 404),
    ]:
        r = api.client.post(url, headers=api.admin(), json=body)
        assert r.status_code == status, (body, r.text)
    assert api.client.get(url, headers=api.admin()).json()["items"] == []
    assert len(api.container.mailer.messages()) == sent
    assert api.client.get(url + "/inv_bad", headers=api.admin()).status_code == 400
    assert api.client.get(url + "/inv_" + "0" * 26, headers=api.admin()).json()["code"] == "INVITATION_NOT_FOUND"


def test_invitations_need_the_invitations_permissions(api: ApiHarness, tree: Tree) -> None:
    operator = api.member(tree.tenant_id, "OPERATOR")
    assert api.client.get(tree.url() + "/invitations", headers=operator).status_code == 403
    r = api.client.post(tree.url() + "/invitations", headers=operator, json={"email": "a@example.com", "role": "ADMIN"})
    assert r.status_code == 403
    admin = api.member(tree.tenant_id, "ADMIN")
    invite(api, tree.tenant_id, headers=admin)
    stranger = api.member(api.create_tenant()["tenantId"], "ADMIN")
    assert api.client.get(tree.url() + "/invitations", headers=stranger).status_code == 404


def test_a_deprovisioned_tenant_takes_no_new_members(api: ApiHarness, tree: Tree) -> None:
    _, token = invited(api, tree.tenant_id)
    api.wait(api.client.delete(tree.url(), headers=api.admin()))
    r = api.client.post(f"/v1.0/invitations/{token}/accept", headers=api.headers(api.token()))
    assert r.status_code == 422 and r.json()["code"] == "TENANT_DEPROVISIONED"
    assert invite(api, tree.tenant_id, 422)["code"] == "TENANT_DEPROVISIONED"


def test_token_routes_are_rate_limited_per_ip(tmp_path: Any) -> None:
    api = ApiHarness(tmp_path / "limited", rate_limit_token_burst=2, rate_limit_token_per_second=0.01)
    url = "/v1.0/invitations/" + "B" * 43
    assert [api.client.get(url).status_code for _ in range(2)] == [404, 404]
    limited = api.client.get(url)
    assert limited.status_code == 429 and limited.json()["code"] == "RATE_LIMITED"
    assert int(limited.headers["retry-after"]) > 0 and limited.headers["ratelimit-remaining"] == "0"


def test_two_racing_accepts_cannot_both_win(api: ApiHarness, tree: Tree, monkeypatch: pytest.MonkeyPatch) -> None:
    _, token = invited(api, tree.tenant_id)
    stale = invitations.find_by_token(store=api.container.store, token=token)  # read by the slower accept
    winner = rid("winner")
    assert (
        api.client.post(f"/v1.0/invitations/{token}/accept", headers=api.headers(api.token(winner))).status_code == 200
    )
    monkeypatch.setattr(invitations, "find_by_token", lambda **_: stale)
    loser = rid("loser")
    with pytest.raises(Conflict) as refused:
        invitations.accept_invitation(
            store=api.container.store, clock=api.container.clock, actor=Actor(loser), caller_email=None, token=token
        )
    assert refused.value.code == "INVITATION_ALREADY_USED"
    members = [m["userId"] for m in api.client.get(tree.url() + "/users", headers=api.admin()).json()["items"]]
    assert members == [winner]
