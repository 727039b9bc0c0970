"""An in-process API harness: an app on a temp data dir (SQLite), a client, and tokens for any role."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from bbws.app import build_container, build_worker, create_app
from bbws.core.changes import Actor
from bbws.core.clock import Clock
from bbws.core.container import Container
from bbws.core.driver import RuntimeDriver
from bbws.core.ports import HealthChecker
from bbws.core.settings import Settings
from bbws.core.store import ItemStore
from bbws.tenants.roles import grant_role
from tests.support.waiting import drain


def rid(prefix: str = "x") -> str:
    """A random id for test data, so tests never collide on fixed names."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


class ApiHarness:
    def __init__(
        self,
        data_dir: Path,
        *,
        store: ItemStore | None = None,
        clock: Clock | None = None,
        driver: RuntimeDriver | None = None,
        site_health: HealthChecker | None = None,
        **settings: Any,
    ) -> None:
        settings.setdefault("rate_limit_token_per_second", 10_000.0)
        settings.setdefault("rate_limit_token_burst", 10_000)
        settings.setdefault("rate_limit_tenant_per_second", 10_000.0)
        settings.setdefault("rate_limit_tenant_burst", 10_000)
        settings.setdefault("rate_limit_auth_failures_per_second", 10_000.0)  # the 401 tests send hundreds
        settings.setdefault("rate_limit_auth_failures_burst", 10_000)
        self.settings = Settings(data_dir=data_dir, **settings)
        self.container: Container = build_container(
            self.settings, store=store, clock=clock, runtime=driver, site_health=site_health
        )
        self.app = create_app(container=self.container)
        self.client = TestClient(self.app, raise_server_exceptions=False)
        self.worker = build_worker(self.container)

    def run_jobs(self, *, limit: int = 1000) -> int:
        """Run queued jobs in this thread until none is left (what the in-process worker does in `serve`)."""
        return drain(self.worker, limit=limit)

    def wait(self, response: Any) -> dict[str, Any]:
        """Run the jobs an accepted (202) call queued and return its finished Operation."""
        assert response.status_code == 202, response.text
        self.run_jobs()
        finished = self.client.get(response.headers["location"], headers=self.admin())
        assert finished.status_code == 200, finished.text
        return dict(finished.json())

    # -- tokens
    def token(
        self,
        sub: str | None = None,
        *,
        groups: list[str] | None = None,
        scope: str | None = None,
        email: str | None = None,
        ttl: int = 3600,
    ) -> str:
        assert self.container.issuer is not None
        return self.container.issuer.mint(sub or rid("user"), groups=groups, scope=scope, email=email, ttl_seconds=ttl)

    def headers(self, token: str, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}", **extra}

    def admin(self) -> dict[str, str]:
        """Headers of a platform admin."""
        return self.headers(self.token("platform-admin", groups=["platform-admin"]))

    def platform(self, role: str) -> dict[str, str]:
        group = {"ADMIN": "platform-admin", "OPERATOR": "platform-operator", "VIEWER": "platform-viewer"}[role]
        return self.headers(self.token(rid("staff"), groups=[group]))

    def member(
        self, tenant_id: str, role: str, *, node_path: str = "", sub: str | None = None, scope: str | None = None
    ) -> dict[str, str]:
        """Headers of a user holding `role` on a node of a tenant (stored assignment, no groups)."""
        sub = sub or rid("user")
        grant_role(
            store=self.container.store,
            clock=self.container.clock,
            actor=Actor.system("test"),
            tenant_id=tenant_id,
            user_id=sub,
            role=role,
            node_path=node_path,
        )
        return self.headers(self.token(sub, scope=scope))

    # -- data
    def create_tenant(self, **fields: Any) -> dict[str, Any]:
        body = {"organizationName": rid("Org"), "contactEmail": "ops@example.com", **fields}
        response = self.client.post("/v1.0/tenants", json=body, headers=self.admin())
        assert response.status_code == 201, response.text
        return dict(response.json())
