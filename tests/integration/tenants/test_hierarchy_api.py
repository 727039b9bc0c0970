"""Hierarchy API over HTTP: divisions -> groups -> teams, names, deletes, locking, and role inheritance."""

from __future__ import annotations

import pytest

from bbws.core.errors import NotFound
from bbws.tenants.hierarchy import node_path_of
from tests.integration.tenants.conftest import Tree, make_node, make_tree
from tests.support.api import ApiHarness, rid


def test_division_crud_with_location_etag_links_and_audit(api: ApiHarness) -> None:
    tid, h = api.create_tenant()["tenantId"], api.admin()
    r = api.client.post(f"/v1.0/tenants/{tid}/divisions", headers=h, json={"name": "Marketing", "description": "Ads"})
    assert r.status_code == 201
    div = r.json()
    url = f"/v1.0/tenants/{tid}/divisions/{div['nodeId']}"
    assert div["nodeId"].startswith("div_") and div["kind"] == "DIVISION" and div["path"] == div["nodeId"]
    assert r.headers["location"] == url and r.headers["etag"] == '"1"'
    assert div["_links"]["self"]["href"] == url
    assert div["_links"]["parent"]["href"] == f"/v1.0/tenants/{tid}"
    assert div["_links"]["children"]["href"] == f"{url}/groups"
    assert div["_links"]["delete"] == {"href": url, "method": "DELETE"}
    assert api.client.get(url, headers=h).json()["name"] == "Marketing"
    assert api.client.get(url, headers={**h, "If-None-Match": '"1"'}).status_code == 304

    stale = api.client.put(url, headers={**h, "If-Match": '"7"'}, json={"name": "Sales"})
    assert stale.status_code == 412 and stale.json()["code"] == "PRECONDITION_FAILED"
    r = api.client.put(url, headers={**h, "If-Match": '"1"'}, json={"name": "Sales", "description": None})
    assert r.status_code == 200 and r.headers["etag"] == '"2"'
    assert r.json()["name"] == "Sales" and r.json()["description"] is None

    assert api.client.delete(url, headers={**h, "If-Match": '"1"'}).status_code == 412
    assert api.client.delete(url, headers={**h, "If-Match": '"2"'}).status_code == 204
    gone = api.client.get(url, headers=h)
    assert gone.status_code == 404 and gone.json()["code"] == "DIVISION_NOT_FOUND"
    actions = [a["action"] for a in api.client.get(f"/v1.0/tenants/{tid}/audit", headers=h).json()["items"]]
    assert actions[:3] == ["division.deleted", "division.updated", "division.created"]


def test_lists_are_paginated_per_parent(api: ApiHarness, tree: Tree) -> None:
    h = api.admin()
    more = [make_node(api, tree.url("division") + "/groups") for _ in range(2)]
    first = api.client.get(tree.url("division") + "/groups?pageSize=2", headers=h).json()
    assert len(first["items"]) == 2 and first["moreAvailable"] and first["startAt"]
    second = api.client.get(first["_links"]["next"]["href"], headers=h).json()
    assert not second["moreAvailable"] and second["startAt"] is None
    ids = [n["nodeId"] for n in first["items"] + second["items"]]
    assert sorted(ids) == sorted([tree.group["nodeId"], *(g["nodeId"] for g in more)])
    teams = api.client.get(tree.url("group") + "/teams", headers=h).json()["items"]
    assert [t["nodeId"] for t in teams] == [tree.team["nodeId"]]
    assert [d["nodeId"] for d in api.client.get(tree.url() + "/divisions", headers=h).json()["items"]] == [
        tree.division["nodeId"]
    ]
    forged = api.client.get(tree.url("group") + "/teams?startAt=" + first["startAt"], headers=h)
    assert forged.status_code == 400 and forged.json()["code"] == "INVALID_PAGINATION_TOKEN"


def test_team_links_and_ids(api: ApiHarness, tree: Tree) -> None:
    team = api.client.get(tree.url("team"), headers=api.admin()).json()
    assert team["kind"] == "TEAM" and team["teamId"] == team["nodeId"] and team["parentId"] == tree.group["nodeId"]
    assert team["divisionId"] == tree.division["nodeId"] and team["groupId"] == tree.group["nodeId"]
    assert team["path"] == f"{tree.division['nodeId']}/{tree.group['nodeId']}/{team['nodeId']}"
    assert "children" not in team["_links"] and team["_links"]["parent"]["href"] == tree.url("group")


def test_a_node_under_the_wrong_parent_is_404(api: ApiHarness, tree: Tree) -> None:
    h = api.admin()
    other = make_node(api, tree.url() + "/divisions")
    base = f"{tree.url()}/divisions/{other['nodeId']}"
    wrong_group = api.client.get(f"{base}/groups/{tree.group['nodeId']}", headers=h)
    assert wrong_group.status_code == 404 and wrong_group.json()["code"] == "GROUP_NOT_FOUND"
    wrong_team = f"{base}/groups/{tree.group['nodeId']}/teams/{tree.team['nodeId']}"
    assert api.client.get(wrong_team, headers=h).status_code == 404
    assert api.client.put(wrong_team, headers=h, json={"name": "x"}).status_code == 404
    assert (
        api.client.post(f"{base}/groups/{tree.group['nodeId']}/teams", headers=h, json={"name": "x"}).status_code == 404
    )
    assert api.client.get(f"{base}/groups/{tree.group['nodeId']}/teams", headers=h).status_code == 404


def test_names_are_unique_among_siblings_only(api: ApiHarness, tree: Tree) -> None:
    h, groups = api.admin(), tree.url("division") + "/groups"
    name = tree.group["name"]
    dup = api.client.post(groups, headers=h, json={"name": "  " + name.upper() + " "})
    assert dup.status_code == 409 and dup.json()["code"] == "CONFLICT" and dup.json()["errors"][0]["field"] == "name"
    elsewhere = make_node(api, make_node(api, tree.url() + "/divisions")["_links"]["children"]["href"], name=name)
    assert elsewhere["name"] == name
    sibling = make_node(api, groups)
    taken = api.client.put(tree.url("division") + f"/groups/{sibling['nodeId']}", headers=h, json={"name": name})
    assert taken.status_code == 409
    recased = api.client.put(tree.url("group"), headers=h, json={"name": name.lower()})
    assert recased.status_code == 200 and recased.json()["name"] == name.lower()
    renamed = api.client.put(tree.url("group"), headers=h, json={"name": rid("Renamed")})
    assert renamed.status_code == 200
    assert make_node(api, groups, name=name)["name"] == name  # the old name is free again


def test_delete_with_children_is_refused_and_changes_nothing(api: ApiHarness, tree: Tree) -> None:
    h = api.admin()
    division = api.client.get(tree.url("division"), headers=h).json()
    assert division["childCount"] == 1 and "delete" not in division["_links"]
    r = api.client.delete(tree.url("division"), headers=h)
    assert r.status_code == 409 and r.json()["code"] == "NODE_HAS_CHILDREN"
    assert "1 groups" in r.json()["detail"] and "delete them first" in r.json()["detail"]
    assert api.client.get(tree.url("division"), headers=h).json() == division
    assert api.client.delete(tree.url("group"), headers=h).json()["code"] == "NODE_HAS_CHILDREN"
    assert api.client.delete(tree.url("team"), headers=h).status_code == 204
    assert api.client.get(tree.url("group"), headers=h).json()["childCount"] == 0
    assert api.client.delete(tree.url("group"), headers=h).status_code == 204
    assert api.client.delete(tree.url("division"), headers=h).status_code == 204
    assert api.client.get(tree.url() + "/divisions", headers=h).json()["items"] == []


def test_delete_with_role_assignments_is_refused_until_they_go(api: ApiHarness, tree: Tree) -> None:
    h, user = api.admin(), rid("user")
    body = {"userId": user, "role": "OPERATOR", "nodeId": tree.team["nodeId"]}
    assert api.client.post(tree.url() + "/users", headers=h, json=body).status_code == 201
    team = api.client.get(tree.url("team"), headers=h).json()
    assert team["assignmentCount"] == 1 and "delete" not in team["_links"]
    r = api.client.delete(tree.url("team"), headers=h)
    assert r.status_code == 409 and r.json()["code"] == "NODE_HAS_ASSIGNMENTS"
    assert user in r.json()["detail"] and f"?nodeId={tree.team['nodeId']}" in r.json()["detail"]
    holders = api.client.get(tree.url() + f"/users?nodeId={tree.team['nodeId']}", headers=h).json()["items"]
    assert [m["userId"] for m in holders] == [user]
    assert api.client.delete(tree.url() + f"/users/{user}?nodeId={tree.team['nodeId']}", headers=h).status_code == 204
    assert api.client.delete(tree.url("team"), headers=h).status_code == 204


def test_bad_input_is_400_and_changes_nothing(api: ApiHarness, tree: Tree) -> None:
    h, divisions = api.admin(), tree.url() + "/divisions"
    before = api.client.get(divisions, headers=h).json()["items"]
    for body in (
        {},
        {"name": ""},
        {"name": "x" * 101},
        {"name": "ok", "description": "d" * 501},
        {"name": "ok", "color": "red"},
        {"name": 5},
        {"name": "bad\x00name"},
    ):
        r = api.client.post(divisions, headers=h, json=body)
        assert r.status_code == 400, (body, r.text)
        assert r.json()["code"] == "VALIDATION_ERROR" and r.json()["errors"]
    for url in (f"{divisions}/grp_{'0' * 26}", f"{divisions}/div_BAD", tree.url("division") + "/groups/div_x"):
        assert api.client.get(url, headers=h).status_code == 400, url
    assert api.client.put(tree.url("division"), headers=h, json={"name": None}).status_code == 400
    empty = api.client.put(tree.url("division"), headers=h, json={})
    assert empty.status_code == 422 and empty.json()["code"] == "NOTHING_TO_UPDATE"
    assert api.client.get(divisions, headers=h).json()["items"] == before


def test_a_deprovisioned_tenants_tree_is_read_only(api: ApiHarness, tree: Tree) -> None:
    h = api.admin()
    api.wait(api.client.delete(tree.url(), headers=h))
    for r in (
        api.client.post(tree.url() + "/divisions", headers=h, json={"name": "New"}),
        api.client.put(tree.url("group"), headers=h, json={"name": "New"}),
        api.client.delete(tree.url("team"), headers=h),
    ):
        assert r.status_code == 422 and r.json()["code"] == "TENANT_DEPROVISIONED"
    assert api.client.get(tree.url("team"), headers=h).status_code == 200


def test_roles_are_inherited_down_the_tree(api: ApiHarness, tree: Tree) -> None:
    team_operator = api.member(tree.tenant_id, "OPERATOR", node_path=tree.team["path"])
    assert api.client.get(tree.url("team"), headers=team_operator).status_code == 200
    assert api.client.get(tree.url("division"), headers=team_operator).status_code == 200  # members see the tree
    denied = api.client.put(tree.url("division"), headers=team_operator, json={"name": "Mine"})
    assert denied.status_code == 403 and denied.json()["code"] == "FORBIDDEN"

    division_admin = api.member(tree.tenant_id, "ADMIN", node_path=tree.division["path"])
    group = make_node(api, tree.url("division") + "/groups", division_admin)
    make_node(api, group["_links"]["children"]["href"], division_admin)
    assert api.client.put(tree.url("group"), headers=division_admin, json={"name": rid("G")}).status_code == 200
    assert api.client.post(tree.url() + "/divisions", headers=division_admin, json={"name": "X"}).status_code == 403
    sibling = make_node(api, tree.url() + "/divisions")
    assert (
        api.client.put(sibling["_links"]["self"]["href"], headers=division_admin, json={"name": "Y"}).status_code == 403
    )

    team_admin = api.member(tree.tenant_id, "ADMIN", node_path=tree.team["path"])
    assert api.client.put(tree.url("team"), headers=team_admin, json={"description": "ours"}).status_code == 200
    assert api.client.post(tree.url("division") + "/groups", headers=team_admin, json={"name": "Z"}).status_code == 403


def test_another_tenants_tree_is_invisible(api: ApiHarness, tree: Tree) -> None:
    stranger = api.member(api.create_tenant()["tenantId"], "ADMIN")
    for url in (tree.url("team"), tree.url() + "/divisions"):
        r = api.client.get(url, headers=stranger)
        assert r.status_code == 404 and r.json()["code"] == "TENANT_NOT_FOUND"
    assert api.client.post(tree.url() + "/divisions", headers=stranger, json={"name": "x"}).status_code == 404


def test_node_path_of_finds_a_node_by_id_in_its_tenant_only(api: ApiHarness, tree: Tree) -> None:
    store = api.container.store
    assert node_path_of(store, tree.tenant_id, tree.team["nodeId"]) == tree.team["path"]
    assert node_path_of(store, tree.tenant_id, tree.division["nodeId"]) == tree.division["nodeId"]
    other = make_tree(api)
    with pytest.raises(NotFound):
        node_path_of(store, other.tenant_id, tree.team["nodeId"])
