"""The sites benchmark still runs at a tiny size (no timing assertions): create from a template and clone, through
the API and raw, on the local runtime."""

from __future__ import annotations

import pytest
from bench import sites


def test_sites_creates_and_clones_through_the_api_and_raw(capsys: pytest.CaptureFixture[str]) -> None:
    goals = sites.run(sizes=sites.SMOKE)
    printed = capsys.readouterr().out
    assert [g.name for g in goals] == ["site create from template API/raw", "site clone API/raw"], printed
    assert all(g.ratio > 0 for g in goals)
    assert printed.count("(goal <= 1.5)") == 2
    assert f"{sites.SMOKE.posts + 1} published posts" in printed  # with WordPress's own first post
    assert "driver.import_site" in printed and "driver.copy_site" in printed  # where the time goes
