"""The benchmarks still run (tiny sizes, no timing assertions), so they do not rot between real runs."""

from __future__ import annotations

from pathlib import Path

import pytest
from bench import api, dynamo_calls, events, pagination, queue
from bench.__main__ import BENCHMARKS, main


def test_without_a_name_the_benchmarks_are_listed(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    listed = capsys.readouterr().out
    assert all(name in listed for name in [*BENCHMARKS, "all"])


def test_an_unknown_name_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["nope"]) == 2
    assert "unknown benchmark" in capsys.readouterr().err


def test_api_runs_both_servers_and_prints_a_ratio(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    goals = api.run(sizes=api.SMOKE, log_dir=tmp_path)
    assert len(goals) == 1 and goals[0].ratio > 0
    assert "(goal >= 0.7)" in capsys.readouterr().out


def test_pagination_seeds_once_and_prints_ratios(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    goals = pagination.run(sizes=pagination.SMOKE, folder=tmp_path)
    assert len(goals) == 4 and all(g.ratio > 0 for g in goals)
    assert capsys.readouterr().out.count("seeded") == 2
    pagination.run(sizes=pagination.SMOKE, folder=tmp_path)
    assert "seeded" not in capsys.readouterr().out  # the cached files are reused


def test_dynamo_calls_counts_store_calls_per_request(capsys: pytest.CaptureFixture[str]) -> None:
    goals = dynamo_calls.run(repeat=1)
    assert len(goals) == 2 and all(g.ratio >= 1 for g in goals)  # every GET reads the store at least once
    assert "GET /v1.0/tenants/{id} (tenant VIEWER)" in capsys.readouterr().out


def test_a_tenant_item_has_the_shape_the_service_writes() -> None:
    shape = pagination.template()
    item = pagination.tenant_item(shape, 7)
    assert set(item) == set(shape)
    assert item["GSI1SK"] == item["tenantId"] and item["GSI2PK"] == f"TENANTS#STATUS#{item['status']}"


def test_queue_compares_the_worker_loop_with_bare_sqlite_and_times_latency(capsys: pytest.CaptureFixture[str]) -> None:
    goals = queue.run(sizes=queue.SMOKE)
    assert len(goals) == 1 and goals[0].ratio > 0
    printed = capsys.readouterr().out
    assert "(goal >= 0.5)" in printed and "job + Operation" in printed and "p99 ms" in printed


def test_events_go_through_the_dispatcher_to_a_verifying_receiver(capsys: pytest.CaptureFixture[str]) -> None:
    goals = events.run(sizes=events.SMOKE)  # raises when the receiver rejects a signature or misses an event
    assert len(goals) == 1 and goals[0].ratio > 0
    assert "(goal >= 0.5)" in capsys.readouterr().out


def test_instance_site_installs_through_the_driver_and_raw(capsys: pytest.CaptureFixture[str]) -> None:
    from bench import instance_site

    goals = instance_site.run(sizes=instance_site.SMOKE)
    assert goals and "ratio" in capsys.readouterr().out
