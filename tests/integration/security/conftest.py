from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.api import ApiHarness


@pytest.fixture
def api(tmp_path: Path) -> ApiHarness:
    return ApiHarness(tmp_path / "data")
