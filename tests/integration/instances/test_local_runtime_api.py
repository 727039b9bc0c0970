"""The instance API on the real local runtime: PHP workers and a private MariaDB serving WordPress."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bbws.core.driver import SiteSpec
from bbws.instances.runtime import start_runtime, stop_runtime
from bbws.instances.service import spec_of
from bbws.tenants import keys
from tests.support.api import ApiHarness


def get(url: str) -> httpx.Response:
    return httpx.get(url, timeout=10, trust_env=False)


def refused(url: str) -> bool:
    try:
        get(url)
    except httpx.TransportError:
        return True
    return False


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def api(data_dir: Path) -> Iterator[ApiHarness]:
    harness = ApiHarness(data_dir, instance_ports="26000-29999")
    yield harness
    stop_runtime(harness.container)


def test_instance_lifecycle_on_real_wordpress(api: ApiHarness, data_dir: Path) -> None:
    tenant = api.create_tenant()
    tid = tenant["tenantId"]
    api.run_jobs()
    base = f"/v1.0/tenants/{tid}/instances"
    op = api.wait(api.client.post(base, json={"environment": "dev", "desiredCount": 1}, headers=api.admin()))
    assert op["status"] == "COMPLETED", op
    iid = op["resourceId"]
    item = api.client.get(f"{base}/{iid}", headers=api.admin()).json()
    url = item["url"]
    assert item["status"] == "ACTIVE" and get(url).status_code == 200
    assert "password" not in str(item["resources"]).lower()

    # a site installed through the driver answers at its path
    driver = api.container.runtime.get()
    record = api.container.store.get(keys.tenant_pk(tid), keys.instance_sk("dev"))
    assert record is not None
    site = driver.install_site(spec_of(record), SiteSpec(key="s1" + iid[-8:], path="acme", title="Acme",
                                                          admin_email="ops@example.com"))
    assert get(site.url).status_code == 200 and get(site.url + "wp-json/").status_code == 200
    assert "acme" in get(url).text  # the status page lists the site

    api.wait(api.client.put(f"{base}/{iid}/size", json={"desiredCount": 3}, headers=api.admin()))
    status = api.client.get(f"{base}/{iid}/status", headers=api.admin()).json()
    assert status["runningCount"] == 3 and status["answering"] is True

    api.wait(api.client.put(f"{base}/{iid}/status", json={"action": "stop"}, headers=api.admin()))
    assert refused(url) and refused(site.url)
    assert api.client.get(f"{base}/{iid}/status", headers=api.admin()).json()["runningCount"] == 0
    api.wait(api.client.put(f"{base}/{iid}/status", json={"action": "start"}, headers=api.admin()))
    assert get(site.url).status_code == 200

    # the server restarts: its processes stop with it, and the next start brings the instance back
    stop_runtime(api.container)
    assert refused(url)
    again = ApiHarness(data_dir, instance_ports="26000-29999")
    try:
        start_runtime(again.container)
        assert get(url).status_code == 200 and get(site.url).status_code == 200
        op = again.wait(again.client.delete(f"{base}/{iid}", headers=again.admin()))
        assert op["status"] == "COMPLETED" and op["result"]["status"] == "DEPROVISIONED"
        (export,) = op["result"]["exports"]
        assert export["site"] == "s1" + iid[-8:] and export["bytes"] > 10_000
        assert (data_dir / "exports" / export["archive"]).is_file()
        assert refused(url)
    finally:
        stop_runtime(again.container)
