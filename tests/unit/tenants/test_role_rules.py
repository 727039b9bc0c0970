"""Pure role rules: the tenant's last ADMIN, and who a role assignment names."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bbws.core.errors import Conflict
from bbws.tenants.roles import admins_after, is_tenant_admin
from bbws.tenants.users_schemas import RoleAssign


def test_admins_are_added_once_and_never_all_removed() -> None:
    assert admins_after([], "a", admin=True) == ["a"]
    assert admins_after(["a"], "a", admin=True) == ["a"]
    assert admins_after(["a", "b"], "a", admin=False) == ["b"]
    assert admins_after([], "a", admin=False) == []  # nobody to protect
    with pytest.raises(Conflict) as caught:
        admins_after(["a"], "a", admin=False)
    assert caught.value.code == "LAST_ADMIN"


def test_only_a_tenant_level_admin_counts() -> None:
    assert is_tenant_admin([{"nodePath": "", "role": "ADMIN"}])
    assert not is_tenant_admin([{"nodePath": "div_x", "role": "ADMIN"}, {"nodePath": "", "role": "VIEWER"}])


@pytest.mark.parametrize(
    "body",
    [
        {"role": "VIEWER"},
        {"userId": "u", "email": "u@example.com", "role": "VIEWER"},
        {"userId": "a#b", "role": "VIEWER"},
        {"userId": "u", "role": "viewer"},
        {"userId": "u", "role": "VIEWER", "nodeId": "ten_01"},
    ],
)
def test_an_assignment_names_exactly_one_user_and_a_real_role(body: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        RoleAssign.model_validate(body)


def test_a_valid_assignment() -> None:
    body = RoleAssign.model_validate({"email": "u@example.com", "role": "ADMIN", "nodeId": "team_" + "0" * 26})
    assert body.userId is None and body.role == "ADMIN"
