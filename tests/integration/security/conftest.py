from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.api import ApiHarness
from tests.support.fake_driver import FakeSites, fake_health


@pytest.fixture
def api(tmp_path: Path) -> ApiHarness:
    # isolation is about the API; runtimes have their own tests
    return ApiHarness(tmp_path / "data", driver=FakeSites(), site_health=fake_health)
