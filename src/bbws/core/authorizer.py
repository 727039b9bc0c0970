"""The one authorizer: every allow/deny decision of the API is made by `Authorizer.require`.

Permissions are `area:verb` strings (`tenants:read`, `sites:write`, `promote:prod`). Platform roles come
from the token's groups; tenant roles only from stored assignments on a node path ("" is the tenant,
"div_x", "div_x/grp_y", "div_x/grp_y/team_z"), inherited downward. Scopes in the token narrow both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase

from pydantic import BaseModel

from bbws.core.auth import Principal
from bbws.core.errors import Forbidden, NotFound
from bbws.core.field_permissions import FIELD_PERMISSIONS

PLATFORM_GRANTS: dict[str, frozenset[str]] = {
    "ADMIN": frozenset({"*"}),
    "OPERATOR": frozenset(
        {
            "*:read",
            "tenants:create",
            "tenants:write",
            "tenants:lifecycle",
            "tenants:suspend",
            "tenants:commercial",
            "operations:*",
            "sites:*",
            "instances:*",
            "promote:sit",
        }
    ),
    "VIEWER": frozenset({"*:read"}),
}

TENANT_GRANTS: dict[str, frozenset[str]] = {
    "ADMIN": frozenset(
        {
            "tenants:read",
            "tenants:write",
            "tenants:lifecycle",
            "tenants:delete",
            "hierarchy:*",
            "users:*",
            "invitations:*",
            "audit:read",
            "operations:*",
            "events:read",
            "sites:*",
            "instances:*",
            "webhooks:*",
            "promote:*",
            "templates:read",
            "plugins:read",
        }
    ),
    "OPERATOR": frozenset(
        {
            "tenants:read",
            "hierarchy:read",
            "users:read",
            "operations:*",
            "events:read",
            "audit:read",
            "sites:*",
            "instances:read",
            "instances:operate",
            "promote:sit",
            "templates:read",
            "plugins:read",
        }
    ),
    "VIEWER": frozenset(
        {
            "tenants:read",
            "hierarchy:read",
            "users:read",
            "operations:read",
            "events:read",
            "audit:read",
            "sites:read",
            "instances:read",
            "templates:read",
            "plugins:read",
        }
    ),
}

# Anyone holding any role anywhere in a tenant may see the tenant and its tree, to navigate to their node.
MEMBER_GRANTS = frozenset({"tenants:read", "hierarchy:read"})

TENANT_ROLES = tuple(TENANT_GRANTS)


@dataclass(frozen=True)
class Assignment:
    node_path: str
    role: str


def grants(granted: Iterable[str], permission: str) -> bool:
    return any(fnmatchcase(permission, pattern) for pattern in granted)


def covers(node_path: str, target: str) -> bool:
    """A role on `node_path` applies to `target` when target is that node or below it."""
    return node_path == "" or target == node_path or target.startswith(node_path + "/")


def scope_allows(principal: Principal, permission: str) -> bool:
    """Action scopes (`sites:write`, `tenants:read`) narrow the token; write implies read."""
    actions = {s for s in principal.scopes if ":" in s and s.split(":", 1)[0] not in ("tenant", "env")}
    if not actions:
        return True
    area, verb = permission.split(":", 1)
    needed = "read" if verb == "read" else "write"
    return f"{area}:{needed}" in actions or f"{area}:write" in actions or f"{area}:*" in actions


def _tenant_invisible(tenant_id: str) -> NotFound:
    return NotFound(f"Tenant {tenant_id} was not found.", code="TENANT_NOT_FOUND")


class Authorizer:
    """Per-request decisions for one principal; tenant assignments are loaded once per tenant."""

    def __init__(self, principal: Principal, load_assignments: Callable[[str, str], list[Assignment]]) -> None:
        self.principal = principal
        self._load = load_assignments
        self._cache: dict[str, list[Assignment]] = {}

    def assignments(self, tenant_id: str) -> list[Assignment]:
        if tenant_id not in self._cache:
            self._cache[tenant_id] = self._load(self.principal.sub, tenant_id)
        return self._cache[tenant_id]

    def can_see_tenant(self, tenant_id: str) -> bool:
        allowed = self.principal.scoped("tenant")
        if allowed is not None and tenant_id not in allowed:
            return False
        return self.principal.platform_role is not None or bool(self.assignments(tenant_id))

    def allowed(
        self, permission: str, *, tenant_id: str | None = None, node_path: str = "", environment: str | None = None
    ) -> bool:
        try:
            self.require(permission, tenant_id=tenant_id, node_path=node_path, environment=environment)
        except (Forbidden, NotFound):
            return False
        return True

    def require(
        self, permission: str, *, tenant_id: str | None = None, node_path: str = "", environment: str | None = None
    ) -> None:
        """Allow, or raise 404 (tenant not visible to this caller) or 403 (visible, but not this action)."""
        p = self.principal
        if tenant_id is not None and not self.can_see_tenant(tenant_id):
            raise _tenant_invisible(tenant_id)
        envs = p.scoped("env")
        if environment is not None and envs is not None and environment not in envs:
            raise Forbidden(f"This token is limited to the environments {', '.join(sorted(envs))}.")
        if not scope_allows(p, permission):
            raise Forbidden(f"This token's scopes do not include {permission}.")
        if p.platform_role and grants(PLATFORM_GRANTS[p.platform_role], permission):
            return
        if tenant_id is not None:
            held = self.assignments(tenant_id)
            if held and permission in MEMBER_GRANTS:
                return
            if any(covers(a.node_path, node_path) and grants(TENANT_GRANTS[a.role], permission) for a in held):
                return
        raise Forbidden(f"Your role does not allow {permission} here.")

    def require_fields(self, body: BaseModel, *, tenant_id: str | None = None, node_path: str = "") -> None:
        """403 when the body sets a field whose permission (FIELD_PERMISSIONS) the caller lacks; the route's
        own permission is checked first by the route, so this only adds what single fields need."""
        table = FIELD_PERMISSIONS[type(body).__name__]
        for name in sorted(body.model_fields_set):
            needed = table[name]
            if needed is not None and not self.allowed(needed, tenant_id=tenant_id, node_path=node_path):
                raise Forbidden(f"Your role may not set {name} (it needs {needed}); leave it out.")
