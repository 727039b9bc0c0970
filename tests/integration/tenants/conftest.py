"""Fixtures for the hierarchy, users and invitations API tests: an app per test, and a tree-building helper."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bbws.core.clock import ManualClock
from tests.support.api import ApiHarness, rid


@pytest.fixture
def api(tmp_path: Path) -> ApiHarness:
    return ApiHarness(tmp_path / "data")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def clocked(tmp_path: Path, clock: ManualClock) -> ApiHarness:
    """An app whose clock only moves when the test says so (expiry rules)."""
    return ApiHarness(tmp_path / "data", clock=clock)


@dataclass
class Tree:
    """A tenant with one division, one group in it and one team in that."""

    tenant_id: str
    division: dict[str, Any]
    group: dict[str, Any]
    team: dict[str, Any]

    def url(self, level: str = "") -> str:
        base = f"/v1.0/tenants/{self.tenant_id}"
        div = f"{base}/divisions/{self.division['nodeId']}"
        grp = f"{div}/groups/{self.group['nodeId']}"
        return {"": base, "division": div, "group": grp, "team": f"{grp}/teams/{self.team['nodeId']}"}[level]


def make_node(
    api: ApiHarness, collection_url: str, headers: dict[str, str] | None = None, **body: Any
) -> dict[str, Any]:
    r = api.client.post(collection_url, headers=headers or api.admin(), json={"name": rid("Node"), **body})
    assert r.status_code == 201, r.text
    return dict(r.json())


def make_tree(api: ApiHarness) -> Tree:
    tid = api.create_tenant()["tenantId"]
    division = make_node(api, f"/v1.0/tenants/{tid}/divisions")
    group = make_node(api, division["_links"]["children"]["href"])
    team = make_node(api, group["_links"]["children"]["href"])
    return Tree(tid, division, group, team)


@pytest.fixture
def tree(api: ApiHarness) -> Tree:
    return make_tree(api)
