"""`python -m bench coldstart` still runs (one process of each, no timing assertions): every process answers 200
(it raises otherwise) and the table, the printed ratios and the goal line are there."""

from __future__ import annotations

import pytest
from bench import coldstart
from bench.__main__ import BENCHMARKS


def test_coldstart_runs_each_entry_point_and_the_bare_resolver(capsys: pytest.CaptureFixture[str]) -> None:
    assert "coldstart" in BENCHMARKS
    goals = coldstart.run(sizes=coldstart.SMOKE)
    assert len(goals) == 1 and goals[0].ratio > 0 and goals[0].target == 1.5
    printed = capsys.readouterr().out
    for row in ("tenants_http: GET /v1.0/tenants/{id}", "bare resolver + boto3 GetItem",
                "tenants_http restored from a SnapStart snapshot", "instances_http: GET /v1.0/tenants/{id}/instances",
                "sites_http: GET /v1.0/tenants/{id}/sites"):
        assert row in printed
    assert "coldstart tenants_http / bare: ratio" in printed and "(goal <= 1.5)" in printed
    assert "instances_http / bare: ratio" in printed and "sites_http / bare: ratio" in printed
