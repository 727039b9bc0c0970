"""A site delete whose runtime removal a crash cut short (the runtime no longer shows the site, but what was not
removed yet is still there): the next delivery of the job finishes the removal instead of only settling the record."""

from __future__ import annotations

from pathlib import Path

from tests.support.api import ApiHarness, rid
from tests.support.fake_driver import FakeSites, fake_health


def test_a_delete_finishes_a_removal_the_runtime_no_longer_shows(tmp_path: Path) -> None:
    driver = FakeSites()
    api = ApiHarness(tmp_path / "data", driver=driver, site_health=fake_health)
    tid = api.create_tenant()["tenantId"]
    api.run_jobs()
    instances = api.client.post(f"/v1.0/tenants/{tid}/instances", json={"environment": "dev"}, headers=api.admin())
    assert api.wait(instances)["status"] == "COMPLETED"
    body = {"siteName": "Half", "subdomain": rid("h").replace("-", ""), "environment": "dev"}
    site_id = api.wait(api.client.post(f"/v1.0/tenants/{tid}/sites", json=body, headers=api.admin()))["resourceId"]
    # what a kill in the middle of the runtime's removal leaves: the site is no longer shown as serving
    del driver.sites[(tid, "dev", site_id)]
    driver.calls.clear()

    op = api.wait(api.client.delete(f"/v1.0/tenants/{tid}/sites/{site_id}", headers=api.admin()))

    assert op["status"] == "COMPLETED", op
    assert ("delete_site", tid, "dev") in driver.calls, driver.calls
    site = api.client.get(f"/v1.0/tenants/{tid}/sites/{site_id}", headers=api.admin()).json()
    assert site["status"] == "DELETED"
