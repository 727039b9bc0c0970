"""The one authorizer: platform vs tenant roles, downward inheritance on node paths, scopes, 404 vs 403."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bbws.core.auth import Principal
from bbws.core.authorizer import (
    MEMBER_GRANTS,
    PLATFORM_GRANTS,
    TENANT_GRANTS,
    Assignment,
    Authorizer,
    covers,
    scope_allows,
)
from bbws.core.errors import Forbidden, NotFound

T, OTHER = "ten_a", "ten_b"
DIV, GRP, TEAM = "div_1", "div_1/grp_1", "div_1/grp_1/team_1"
SIBLING_DIV, SIBLING_GRP = "div_2", "div_1/grp_2"


def loader(
    table: dict[tuple[str, str], list[Assignment]], calls: list[tuple[str, str]] | None = None
) -> Callable[[str, str], list[Assignment]]:
    def load(user_id: str, tenant_id: str) -> list[Assignment]:
        if calls is not None:
            calls.append((user_id, tenant_id))
        return list(table.get((user_id, tenant_id), []))

    return load


def member(role: str, node_path: str = "", *, scopes: str = "", tenant: str = T) -> Authorizer:
    principal = Principal(sub="u1", scopes=frozenset(scopes.split()))
    return Authorizer(principal, loader({("u1", tenant): [Assignment(node_path, role)]}))


def platform(role: str, *, scopes: str = "") -> Authorizer:
    return Authorizer(Principal(sub="staff", platform_role=role, scopes=frozenset(scopes.split())), loader({}))


def stranger(*, scopes: str = "") -> Authorizer:
    return Authorizer(Principal(sub="nobody", scopes=frozenset(scopes.split())), loader({}))


# -- inheritance on node paths
@pytest.mark.parametrize("held", ["", DIV, GRP, TEAM])
def test_a_role_applies_to_its_node_and_every_node_below(held: str) -> None:
    authz = member("ADMIN", held)
    below = [p for p in ["", DIV, GRP, TEAM] if p == held or p.startswith(held)]
    for node in below:
        authz.require("hierarchy:write", tenant_id=T, node_path=node)


@pytest.mark.parametrize(("held", "above"), [(DIV, ""), (GRP, DIV), (GRP, ""), (TEAM, GRP), (TEAM, DIV)])
def test_a_role_is_never_inherited_upward(held: str, above: str) -> None:
    with pytest.raises(Forbidden):
        member("ADMIN", held).require("hierarchy:write", tenant_id=T, node_path=above)


@pytest.mark.parametrize(
    ("held", "sibling"),
    [(DIV, SIBLING_DIV), (GRP, SIBLING_GRP), (GRP, SIBLING_GRP + "/team_9"), (DIV, "div_10"), (TEAM, TEAM + "x")],
)
def test_siblings_are_isolated_even_when_their_ids_share_a_prefix(held: str, sibling: str) -> None:
    with pytest.raises(Forbidden):
        member("ADMIN", held).require("sites:write", tenant_id=T, node_path=sibling)
    assert not covers(held, sibling)


def test_covers() -> None:
    assert covers("", TEAM) and covers(DIV, DIV) and covers(DIV, TEAM)
    assert not covers(TEAM, DIV) and not covers("div_1", "div_12")


def test_strongest_of_several_assignments_wins_where_it_applies() -> None:
    load = loader({("u1", T): [Assignment("", "VIEWER"), Assignment(GRP, "ADMIN")]})
    authz = Authorizer(Principal(sub="u1"), load)
    authz.require("sites:write", tenant_id=T, node_path=TEAM)
    with pytest.raises(Forbidden):
        authz.require("sites:write", tenant_id=T, node_path=SIBLING_GRP)
    authz.require("sites:read", tenant_id=T, node_path=SIBLING_GRP)


# -- member grants: any role anywhere lets you see the tenant and its tree
def test_members_below_the_tenant_can_read_the_tenant_and_its_tree_but_nothing_else() -> None:
    authz = member("VIEWER", TEAM)
    for permission in sorted(MEMBER_GRANTS):
        authz.require(permission, tenant_id=T)
        authz.require(permission, tenant_id=T, node_path=SIBLING_DIV)
    for permission in ("users:read", "audit:read", "sites:read", "operations:read"):
        with pytest.raises(Forbidden):
            authz.require(permission, tenant_id=T)
    authz.require("sites:read", tenant_id=T, node_path=TEAM)


def test_member_grants_are_read_only() -> None:
    assert all(p.endswith(":read") for p in MEMBER_GRANTS)


# -- tenant roles
TENANT_ROLE_CASES = [
    (
        "ADMIN",
        [
            "tenants:read",
            "tenants:write",
            "tenants:lifecycle",
            "tenants:delete",
            "users:write",
            "invitations:write",
            "hierarchy:write",
            "audit:read",
            "sites:write",
            "promote:prod",
        ],
        ["tenants:suspend", "tenants:commercial"],  # the platform's hold and commercial terms
    ),
    (
        "OPERATOR",
        ["tenants:read", "sites:write", "instances:operate", "operations:write", "promote:sit", "audit:read"],
        [
            "tenants:write",
            "tenants:lifecycle",
            "tenants:delete",
            "users:write",
            "invitations:write",
            "hierarchy:write",
            "instances:write",
            "promote:prod",
            "webhooks:write",
        ],
    ),
    (
        "VIEWER",
        ["tenants:read", "hierarchy:read", "users:read", "audit:read", "sites:read", "operations:read"],
        [
            "tenants:write",
            "tenants:lifecycle",
            "tenants:delete",
            "users:write",
            "invitations:write",
            "hierarchy:write",
            "sites:write",
            "operations:write",
            "promote:sit",
        ],
    ),
]


@pytest.mark.parametrize(("role", "allowed", "refused"), TENANT_ROLE_CASES, ids=[c[0] for c in TENANT_ROLE_CASES])
def test_tenant_roles(role: str, allowed: list[str], refused: list[str]) -> None:
    authz = member(role)
    for permission in allowed:
        assert authz.allowed(permission, tenant_id=T), permission
    for permission in refused:
        with pytest.raises(Forbidden):
            authz.require(permission, tenant_id=T)


@pytest.mark.parametrize("role", list(TENANT_GRANTS))
def test_tenant_roles_give_nothing_platform_wide(role: str) -> None:
    authz = member(role)
    with pytest.raises(Forbidden):
        authz.require("tenants:create")
    with pytest.raises(Forbidden):
        authz.require("tenants:read")  # the list of all tenants is a platform permission


@pytest.mark.parametrize("role", list(TENANT_GRANTS))
def test_a_tenant_role_does_not_leak_into_another_tenant(role: str) -> None:
    authz = member(role)
    assert authz.can_see_tenant(T) and not authz.can_see_tenant(OTHER)
    with pytest.raises(NotFound) as caught:
        authz.require("tenants:read", tenant_id=OTHER)
    assert caught.value.code == "TENANT_NOT_FOUND" and caught.value.status == 404


# -- platform roles
PLATFORM_CASES = [
    ("ADMIN", ["tenants:create", "tenants:delete", "users:write", "promote:prod", "anything:at_all"], []),
    (
        "OPERATOR",
        [
            "tenants:create",
            "tenants:write",
            "tenants:lifecycle",
            "tenants:suspend",
            "tenants:commercial",
            "tenants:read",
            "audit:read",
            "sites:write",
            "instances:operate",
            "operations:write",
            "promote:sit",
        ],
        ["tenants:delete", "users:write", "invitations:write", "hierarchy:write", "promote:prod", "webhooks:write"],
    ),
    (
        "VIEWER",
        ["tenants:read", "audit:read", "users:read", "sites:read"],
        ["tenants:create", "tenants:write", "tenants:lifecycle", "tenants:delete", "users:write", "sites:write"],
    ),
]


@pytest.mark.parametrize(("role", "allowed", "refused"), PLATFORM_CASES, ids=[c[0] for c in PLATFORM_CASES])
def test_platform_roles(role: str, allowed: list[str], refused: list[str]) -> None:
    authz = platform(role)
    for permission in allowed:
        authz.require(permission)
        authz.require(permission, tenant_id=T, node_path=TEAM)
    for permission in refused:
        with pytest.raises(Forbidden):
            authz.require(permission, tenant_id=T)


def test_platform_roles_see_every_tenant_without_reading_assignments() -> None:
    calls: list[tuple[str, str]] = []
    authz = Authorizer(Principal(sub="staff", platform_role="VIEWER"), loader({}, calls))
    assert authz.can_see_tenant(T) and authz.can_see_tenant(OTHER)
    authz.require("tenants:read", tenant_id=T)
    assert calls == []
    assert set(PLATFORM_GRANTS) == {"ADMIN", "OPERATOR", "VIEWER"}


def test_platform_viewer_with_a_tenant_role_gets_the_union() -> None:
    load = loader({("staff", T): [Assignment("", "ADMIN")]})
    authz = Authorizer(Principal(sub="staff", platform_role="VIEWER"), load)
    authz.require("users:write", tenant_id=T)
    with pytest.raises(Forbidden):
        authz.require("users:write", tenant_id=OTHER)


# -- 404 versus 403
def test_a_stranger_gets_404_for_every_permission_and_403_where_no_tenant_is_named() -> None:
    authz = stranger()
    for permission in ("tenants:read", "tenants:write", "users:read", "sites:write"):
        with pytest.raises(NotFound) as caught:
            authz.require(permission, tenant_id=T)
        assert caught.value.code == "TENANT_NOT_FOUND"
        assert not authz.allowed(permission, tenant_id=T)
    with pytest.raises(Forbidden):
        authz.require("tenants:create")


def test_a_member_lacking_the_action_gets_403_not_404() -> None:
    with pytest.raises(Forbidden) as caught:
        member("VIEWER").require("tenants:write", tenant_id=T)
    assert caught.value.status == 403 and caught.value.code == "FORBIDDEN"


def test_assignments_are_loaded_once_per_tenant_per_request() -> None:
    calls: list[tuple[str, str]] = []
    authz = Authorizer(Principal(sub="u1"), loader({("u1", T): [Assignment("", "VIEWER")]}, calls))
    for _ in range(3):
        authz.allowed("tenants:read", tenant_id=T)
        authz.allowed("tenants:write", tenant_id=T)
        authz.allowed("tenants:read", tenant_id=OTHER)
    assert sorted(calls) == sorted([("u1", T), ("u1", OTHER)])


# -- scopes
def test_tenant_scope_hides_other_tenants_even_from_a_platform_admin() -> None:
    authz = platform("ADMIN", scopes=f"tenant:{T}")
    authz.require("tenants:write", tenant_id=T)
    with pytest.raises(NotFound):
        authz.require("tenants:read", tenant_id=OTHER)
    assert not authz.can_see_tenant(OTHER)


def test_tenant_scope_can_name_several_tenants_but_does_not_add_a_role() -> None:
    authz = member("VIEWER", scopes=f"tenant:{T} tenant:{OTHER}")
    authz.require("tenants:read", tenant_id=T)
    with pytest.raises(NotFound):
        authz.require("tenants:read", tenant_id=OTHER)  # scoped there, but holds no role there


def test_environment_scope() -> None:
    authz = member("ADMIN", scopes="env:dev env:sit")
    authz.require("sites:write", tenant_id=T, environment="dev")
    authz.require("sites:write", tenant_id=T, environment="sit")
    authz.require("sites:write", tenant_id=T)  # not an environment-bound action
    with pytest.raises(Forbidden) as caught:
        authz.require("sites:write", tenant_id=T, environment="prod")
    assert "dev" in caught.value.detail
    member("ADMIN").require("sites:write", tenant_id=T, environment="prod")


def test_action_scopes_narrow_and_write_implies_read() -> None:
    read_only = member("ADMIN", scopes="sites:read")
    read_only.require("sites:read", tenant_id=T)
    with pytest.raises(Forbidden):
        read_only.require("sites:write", tenant_id=T)
    with pytest.raises(Forbidden):
        read_only.require("tenants:read", tenant_id=T)  # another area entirely

    writer = member("ADMIN", scopes="sites:write")
    writer.require("sites:read", tenant_id=T)
    writer.require("sites:write", tenant_id=T)
    writer.require("sites:delete", tenant_id=T)  # any non-read verb needs the area's write scope

    assert scope_allows(Principal(sub="u", scopes=frozenset({"sites:*"})), "sites:write")


def test_scopes_never_widen_a_role() -> None:
    with pytest.raises(Forbidden):
        member("VIEWER", scopes="sites:write").require("sites:write", tenant_id=T)
    with pytest.raises(Forbidden):
        platform("VIEWER", scopes="tenants:write").require("tenants:write", tenant_id=T)


def test_action_scopes_narrow_a_platform_admin() -> None:
    authz = platform("ADMIN", scopes="tenants:read")
    authz.require("tenants:read", tenant_id=T)
    with pytest.raises(Forbidden):
        authz.require("tenants:create")


def test_tenant_and_env_scopes_are_not_action_scopes() -> None:
    principal = Principal(sub="u", scopes=frozenset({f"tenant:{T}", "env:dev"}))
    assert scope_allows(principal, "sites:write") and scope_allows(principal, "users:write")
    assert principal.scoped("tenant") == {T} and principal.scoped("env") == {"dev"}
    assert Principal(sub="u").scoped("tenant") is None
