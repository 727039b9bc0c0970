"""The Python client's plugin calls against a served API over the in-memory runtime: each change returns its
Operation, which `wait()` follows to the end; reads answer at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from bbws.client.api import BbwsClient, BbwsError
from tests.integration.operations.conftest import LiveServer
from tests.integration.sites.conftest import SiteHarness
from tests.support import packages


def test_every_plugin_change_of_the_client_is_an_operation_to_wait_for(tmp_path: Path) -> None:
    api = SiteHarness(tmp_path / "data")
    tid = api.tenant_with_instances("dev")
    site = api.create_site(tid)["siteId"]
    for version in ("1.0.0", "1.1.0"):
        zipped = packages.fixture_zip("bbws-hello", tmp_path / "zips", version=version)
        assert packages.upload(api, zipped).status_code == 201
    token = api.admin()["Authorization"].removeprefix("Bearer ")

    with LiveServer(api) as server, BbwsClient(server.url, token) as client:

        def done(op: dict[str, object]) -> dict[str, object]:
            assert op["status"] == "PENDING" and op["resourceId"] == site, op
            api.run_jobs()  # the worker of this server is off: the test runs the job
            return client.wait(str(op["operationId"]), timeout=30)

        installed = done(client.install_site_plugin(tid, site, slug="bbws-hello", version="1.0.0"))
        assert installed["status"] == "COMPLETED", installed
        configured = done(client.configure_site_plugin(tid, site, "bbws-hello", {"bbws_hello_greeting": "Hi"}))
        assert configured["status"] == "COMPLETED", configured
        updated = done(client.update_site_plugin(tid, site, "bbws-hello"))
        assert updated["status"] == "COMPLETED", updated
        with pytest.raises(BbwsError) as stale:
            client.set_site_plugin_status(tid, site, "bbws-hello", active=False, if_match='"1"')
        assert stale.value.status == 412
        off = done(client.set_site_plugin_status(tid, site, "bbws-hello", active=False))
        assert off["status"] == "COMPLETED", off
        listed = {i["slug"]: i for i in client.list_site_plugins(tid, site)["items"]}
        assert listed["bbws-hello"]["declared"] == {
            "pluginId": listed["bbws-hello"]["declared"]["pluginId"],
            "version": "1.1.0",
            "active": False,
            "config": {"bbws_hello_greeting": "Hi"},
        }
        removed = done(client.remove_site_plugin(tid, site, "bbws-hello"))
        assert removed["status"] == "COMPLETED", removed
        with pytest.raises(BbwsError) as theme:
            client.set_site_plugin_status(tid, site, "twentytwentythree", active=False, kind="theme")
        assert theme.value.code == "SITE_001"
        assert "bbws-hello" not in {i["slug"] for i in client.list_site_plugins(tid, site)["items"]}
