from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.api import ApiHarness
from tests.support.fake_driver import FakeDriver


class InstanceHarness(ApiHarness):
    """The API with an in-memory runtime driver: the instance state machine, permissions and cascades."""

    def __init__(self, data_dir: Path) -> None:
        self.driver = FakeDriver()
        super().__init__(data_dir, driver=self.driver)

    def active_tenant(self) -> dict[str, Any]:
        tenant = self.create_tenant()
        self.run_jobs()
        return tenant

    def create_instance(self, tenant_id: str, env: str = "dev", **body: Any) -> dict[str, Any]:
        response = self.client.post(f"/v1.0/tenants/{tenant_id}/instances", json={"environment": env, **body},
                                    headers=self.admin())
        op = self.wait(response)
        assert op["status"] == "COMPLETED", op
        return self.get_instance(tenant_id, op["resourceId"])

    def get_instance(self, tenant_id: str, instance_id: str) -> dict[str, Any]:
        response = self.client.get(f"/v1.0/tenants/{tenant_id}/instances/{instance_id}", headers=self.admin())
        assert response.status_code == 200, response.text
        return dict(response.json())


@pytest.fixture
def api(tmp_path: Path) -> InstanceHarness:
    return InstanceHarness(tmp_path / "data")
