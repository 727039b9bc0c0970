"""Pure hierarchy rules: paths, links, and why a node cannot be deleted."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from bbws.tenants.hierarchy import children_href, deletion_blocker, depth_of, kind_of, node_href, parent_of
from bbws.tenants.hierarchy_schemas import NodeUpdate

T = "ten_x"


def node(path: str, **counts: int) -> dict[str, Any]:
    return {"tenantId": T, "path": path, "nodeId": path.rpartition("/")[2], "kind": kind_of(path).upper(), **counts}


def test_paths() -> None:
    assert [depth_of(p) for p in ("", "d", "d/g", "d/g/t")] == [0, 1, 2, 3]
    assert [kind_of(p) for p in ("d", "d/g", "d/g/t")] == ["division", "group", "team"]
    assert [parent_of(p) for p in ("d", "d/g", "d/g/t")] == ["", "d", "d/g"]


def test_links() -> None:
    assert node_href(T, "") == "/v1.0/tenants/ten_x"
    assert node_href(T, "d/g/t") == "/v1.0/tenants/ten_x/divisions/d/groups/g/teams/t"
    assert children_href(T, "") == "/v1.0/tenants/ten_x/divisions"
    assert children_href(T, "d") == "/v1.0/tenants/ten_x/divisions/d/groups"
    assert children_href(T, "d/g/t") is None


def test_a_node_with_children_or_roles_cannot_go() -> None:
    assert deletion_blocker(node("d", childCount=0, assignmentCount=0), []) is None
    children = deletion_blocker(node("d", childCount=2, assignmentCount=1), [])
    assert children is not None and children.code == "NODE_HAS_CHILDREN" and "2 groups" in children.detail
    roles = deletion_blocker(node("d/g/t", assignmentCount=3), ["u1", "u2"])
    assert roles is not None and roles.code == "NODE_HAS_ASSIGNMENTS" and roles.status == 409
    assert "u1, u2, ..." in roles.detail and "DELETE /v1.0/tenants/ten_x/users/{userId}?nodeId=t" in roles.detail


def test_update_may_clear_the_description_but_not_the_name() -> None:
    assert NodeUpdate.model_validate({"description": None}).model_fields_set == {"description"}
    with pytest.raises(ValidationError):
        NodeUpdate.model_validate({"name": None})
