from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bbws.core.clock import ManualClock
from tests.support.api import ApiHarness, rid
from tests.support.fake_driver import FakeSites, fake_health


class SiteHarness(ApiHarness):
    """The API over an in-memory runtime and a manual clock: site states, rules, roles and promotion gates."""

    def __init__(self, data_dir: Path, **settings: Any) -> None:
        # starts now: history items carry a TTL that the store compares with the real time
        self.clock = ManualClock(datetime.now(UTC))
        self.driver = FakeSites()
        super().__init__(data_dir, clock=self.clock, driver=self.driver, site_health=fake_health, **settings)

    def tenant_with_instances(self, *envs: str, **fields: Any) -> str:
        tenant = self.create_tenant(**fields)
        self.run_jobs()
        for env in envs or ("dev",):
            op = self.wait(
                self.client.post(
                    f"/v1.0/tenants/{tenant['tenantId']}/instances", json={"environment": env}, headers=self.admin()
                )
            )
            assert op["status"] == "COMPLETED", op
        return str(tenant["tenantId"])

    def sites(self, tenant_id: str) -> str:
        return f"/v1.0/tenants/{tenant_id}/sites"

    def create_site(
        self, tenant_id: str, env: str = "dev", headers: dict[str, str] | None = None, **body: Any
    ) -> dict[str, Any]:
        body = {"siteName": "Acme", "subdomain": rid("s").replace("-", ""), "environment": env, **body}
        op = self.wait(self.client.post(self.sites(tenant_id), json=body, headers=headers or self.admin()))
        assert op["status"] == "COMPLETED", op
        return self.get_site(tenant_id, op["result"]["siteId"])

    def get_site(self, tenant_id: str, site_id: str) -> dict[str, Any]:
        response = self.client.get(f"{self.sites(tenant_id)}/{site_id}", headers=self.admin())
        assert response.status_code == 200, response.text
        return dict(response.json())


@pytest.fixture
def api(tmp_path: Path) -> SiteHarness:
    return SiteHarness(tmp_path / "data")
