"""Users API over HTTP: role assignments on nodes, members, removal, the last admin, and a user's tenants."""

from __future__ import annotations

from typing import Any

from bbws.core.changes import Actor
from bbws.tenants.roles import grant_role
from tests.integration.tenants.conftest import Tree, make_tree
from tests.support.api import ApiHarness, rid


def assign(api: ApiHarness, tid: str, status: int = 201, headers: dict[str, str] | None = None, **body: Any) -> Any:
    r = api.client.post(f"/v1.0/tenants/{tid}/users", headers=headers or api.admin(), json=body)
    assert r.status_code == status, r.text
    return r.json()


def known_user(api: ApiHarness, email: str) -> str:
    """A user the platform has seen with this email (a role in some other tenant)."""
    user = rid("user")
    other = api.create_tenant()["tenantId"]
    grant_role(
        store=api.container.store,
        clock=api.container.clock,
        actor=Actor.system("test"),
        tenant_id=other,
        user_id=user,
        role="VIEWER",
        email=email,
    )
    return user


def test_assign_get_list_and_replace(api: ApiHarness, tree: Tree) -> None:
    h, user = api.admin(), rid("user")
    r = api.client.post(tree.url() + "/users", headers=h, json={"userId": user, "role": "VIEWER"})
    assert r.status_code == 201 and r.headers["location"] == f"{tree.url()}/users/{user}"
    member = r.json()
    assert member["userId"] == user and member["_links"]["remove"]["method"] == "DELETE"
    assert [(a["role"], a["nodeId"], a["nodePath"]) for a in member["assignments"]] == [("VIEWER", None, "")]
    on_team = assign(api, tree.tenant_id, userId=user, role="OPERATOR", nodeId=tree.team["nodeId"])
    assert {a["nodePath"] for a in on_team["assignments"]} == {"", tree.team["path"]}
    team_row = next(a for a in on_team["assignments"] if a["nodeId"] == tree.team["nodeId"])
    assert team_row["_links"]["node"]["href"] == tree.url("team")
    replaced = assign(api, tree.tenant_id, 200, userId=user, role="ADMIN", nodeId=tree.team["nodeId"])
    assert sorted(a["role"] for a in replaced["assignments"]) == ["ADMIN", "VIEWER"]
    got = api.client.get(f"{tree.url()}/users/{user}", headers=h)
    assert got.status_code == 200 and got.json() == replaced and got.headers["etag"] == f'"{replaced["version"]}"'
    assert api.client.get(tree.url("team"), headers=h).json()["assignmentCount"] == 1
    listed = api.client.get(tree.url() + "/users", headers=h).json()["items"]
    assert [m["userId"] for m in listed] == [user] and listed[0]["assignments"] == replaced["assignments"]
    actions = [a["action"] for a in api.client.get(tree.url() + "/audit", headers=h).json()["items"]]
    assert actions.count("user.role_assigned") == 3


def test_the_assigned_user_gets_the_role(api: ApiHarness, tree: Tree) -> None:
    user = rid("user")
    headers = api.headers(api.token(user))
    assert api.client.get(tree.url("team"), headers=headers).status_code == 404  # not a member yet
    assign(api, tree.tenant_id, userId=user, role="ADMIN", nodeId=tree.group["nodeId"])
    assert api.client.put(tree.url("team"), headers=headers, json={"description": "mine"}).status_code == 200
    assert api.client.put(tree.url("division"), headers=headers, json={"description": "no"}).status_code == 403


def test_assign_by_email_needs_a_known_user(api: ApiHarness, tree: Tree) -> None:
    email = f"{rid('dev')}@example.com"
    r = api.client.post(tree.url() + "/users", headers=api.admin(), json={"email": email, "role": "VIEWER"})
    assert r.status_code == 404 and r.json()["code"] == "USER_NOT_FOUND"
    assert "invite them instead" in r.json()["detail"] and "/invitations" in r.json()["detail"]
    user = known_user(api, email)
    member = assign(api, tree.tenant_id, email=email.upper(), role="VIEWER", nodeId=tree.division["nodeId"])
    assert member["userId"] == user and member["email"] == email


def test_bad_input_is_rejected_and_changes_nothing(api: ApiHarness, tree: Tree) -> None:
    h, users = api.admin(), tree.url() + "/users"
    other = make_tree(api)
    before = api.client.get(users, headers=h).json()["items"]
    cases: list[tuple[dict[str, Any], int]] = [
        ({"role": "VIEWER"}, 400),
        ({"userId": "u1", "email": "a@example.com", "role": "VIEWER"}, 400),
        ({"userId": "u1", "role": "OWNER"}, 400),
        ({"userId": "u1"}, 400),
        ({"userId": "u#1", "role": "VIEWER"}, 400),
        ({"userId": "u/1", "role": "VIEWER"}, 400),
        ({"userId": "x" * 129, "role": "VIEWER"}, 400),
        ({"userId": "u1", "role": "VIEWER", "extra": True}, 400),
        ({"userId": "u1", "role": "VIEWER", "nodeId": "site_1"}, 400),
        ({"email": "nope", "role": "VIEWER"}, 400),
        ({"userId": "u1", "role": "VIEWER", "nodeId": "div_" + "0" * 26}, 404),
        ({"userId": "u1", "role": "VIEWER", "nodeId": other.team["nodeId"]}, 404),
    ]
    for body, status in cases:
        r = api.client.post(users, headers=h, json=body)
        assert r.status_code == status, (body, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
    assert api.client.get(users, headers=h).json()["items"] == before
    assert api.client.get(f"{users}/bad%23id", headers=h).status_code == 400
    assert api.client.get(f"{users}?nodeId=nope", headers=h).status_code == 400
    assert api.client.get(tree.url("team"), headers=h).json()["assignmentCount"] == 0


def test_remove_one_role_or_all_of_them(api: ApiHarness, tree: Tree) -> None:
    h, user, users = api.admin(), rid("user"), tree.url() + "/users"
    assign(api, tree.tenant_id, userId=user, role="VIEWER")
    assign(api, tree.tenant_id, userId=user, role="OPERATOR", nodeId=tree.team["nodeId"])
    assign(api, tree.tenant_id, userId=user, role="VIEWER", nodeId=tree.group["nodeId"])
    missing = api.client.delete(f"{users}/{user}?nodeId={tree.division['nodeId']}", headers=h)
    assert missing.status_code == 404 and missing.json()["code"] == "ASSIGNMENT_NOT_FOUND"
    assert api.client.delete(f"{users}/{user}?nodeId={tree.team['nodeId']}", headers=h).status_code == 204
    assert api.client.delete(f"{users}/{user}?nodeId={tree.tenant_id}", headers=h).status_code == 204
    left = api.client.get(f"{users}/{user}", headers=h).json()
    assert [a["nodeId"] for a in left["assignments"]] == [tree.group["nodeId"]]
    assert api.client.delete(f"{users}/{user}", headers={**h, "If-Match": '"1"'}).status_code == 412
    assert api.client.delete(f"{users}/{user}", headers=h).status_code == 204
    gone = api.client.get(f"{users}/{user}", headers=h)
    assert gone.status_code == 404 and gone.json()["code"] == "USER_NOT_FOUND"
    assert api.client.delete(f"{users}/{user}", headers=h).status_code == 404
    assert api.client.get(tree.url("group"), headers=h).json()["assignmentCount"] == 0
    assert api.client.get(tree.url("team"), headers=api.headers(api.token(user))).status_code == 404
    actions = [a["action"] for a in api.client.get(tree.url() + "/audit", headers=h).json()["items"]]
    assert actions[:3] == ["user.removed", "user.role_removed", "user.role_removed"]


def test_removing_the_last_role_removes_the_member(api: ApiHarness, tree: Tree) -> None:
    h, user = api.admin(), rid("user")
    assign(api, tree.tenant_id, userId=user, role="VIEWER", nodeId=tree.team["nodeId"])
    assert api.client.delete(f"{tree.url()}/users/{user}?nodeId={tree.team['nodeId']}", headers=h).status_code == 204
    assert api.client.get(f"{tree.url()}/users/{user}", headers=h).status_code == 404
    assert api.client.get(tree.url() + "/users", headers=h).json()["items"] == []


def test_the_last_tenant_admin_cannot_be_removed_or_demoted(api: ApiHarness, tree: Tree) -> None:
    h, users = api.admin(), tree.url() + "/users"
    first, second = rid("admin"), rid("admin")
    assign(api, tree.tenant_id, userId=first, role="ADMIN")
    assign(api, tree.tenant_id, userId=first, role="ADMIN", nodeId=tree.team["nodeId"])
    for r in (
        api.client.post(users, headers=h, json={"userId": first, "role": "VIEWER"}),
        api.client.delete(f"{users}/{first}", headers=h),
        api.client.delete(f"{users}/{first}?nodeId={tree.tenant_id}", headers=h),
    ):
        assert r.status_code == 409 and r.json()["code"] == "LAST_ADMIN", r.text
    assert api.client.get(f"{users}/{first}", headers=h).json()["assignments"][0]["role"] == "ADMIN"
    assert api.client.delete(f"{users}/{first}?nodeId={tree.team['nodeId']}", headers=h).status_code == 204
    assign(api, tree.tenant_id, userId=second, role="ADMIN")
    assert api.client.delete(f"{users}/{first}", headers=h).status_code == 204
    assert api.client.delete(f"{users}/{second}", headers=h).json()["code"] == "LAST_ADMIN"


def test_users_need_a_tenant_level_role(api: ApiHarness, tree: Tree) -> None:
    viewer = api.member(tree.tenant_id, "VIEWER")
    assert api.client.get(tree.url() + "/users", headers=viewer).status_code == 200
    r = api.client.post(tree.url() + "/users", headers=viewer, json={"userId": rid("u"), "role": "VIEWER"})
    assert r.status_code == 403
    division_admin = api.member(tree.tenant_id, "ADMIN", node_path=tree.division["path"])
    body = {"userId": rid("u"), "role": "VIEWER", "nodeId": tree.team["nodeId"]}
    assert api.client.post(tree.url() + "/users", headers=division_admin, json=body).status_code == 403
    assert api.client.get(tree.url() + "/users", headers=division_admin).status_code == 403
    stranger = api.member(api.create_tenant()["tenantId"], "ADMIN")
    assert api.client.get(tree.url() + "/users", headers=stranger).json()["code"] == "TENANT_NOT_FOUND"


def test_a_users_tenants_for_self_others_and_platform(api: ApiHarness) -> None:
    user = rid("user")
    tenants = [api.create_tenant() for _ in range(3)]
    for t in tenants:
        assign(api, t["tenantId"], userId=user, role="VIEWER")
    assign(
        api, tenants[0]["tenantId"], userId=user, role="OPERATOR", nodeId=make_tree(api).division["nodeId"], status=404
    )
    url = f"/v1.0/users/{user}/tenants"
    me = api.headers(api.token(user))
    first = api.client.get(url + "?pageSize=2", headers=me).json()
    rest = api.client.get(first["_links"]["next"]["href"], headers=me).json()
    rows = first["items"] + rest["items"]
    assert sorted(r["tenantId"] for r in rows) == sorted(t["tenantId"] for t in tenants)
    assert all(r["roles"][0]["role"] == "VIEWER" and r["organizationName"] for r in rows)
    assert rows[0]["_links"]["tenant"]["href"] == f"/v1.0/tenants/{rows[0]['tenantId']}"
    other = api.client.get(url, headers=api.headers(api.token(rid("someone"))))
    assert other.status_code == 403 and other.json()["code"] == "FORBIDDEN"
    assert len(api.client.get(url, headers=api.platform("VIEWER")).json()["items"]) == 3
    narrowed = api.headers(api.token(user, scope=f"tenant:{tenants[1]['tenantId']}"))
    assert [r["tenantId"] for r in api.client.get(url, headers=narrowed).json()["items"]] == [tenants[1]["tenantId"]]
    assert api.client.get("/v1.0/users/a%23b/tenants", headers=me).status_code == 400
    assert api.client.get(url).status_code == 401
