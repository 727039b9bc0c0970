"""Server-sent events over a real server: an operation's progress, and the tenant's event stream."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bbws.client.api import ServerEvent, parse_sse
from bbws.jobs.sse import StreamLimits
from tests.integration.operations.conftest import LiveServer
from tests.support.api import ApiHarness

REASON = {"reason": "Stream test: parked for a while"}
STREAM = {"Accept": "text/event-stream"}
TIMEOUT = httpx.Timeout(30.0)


@pytest.fixture
def quiet(tmp_path: Path, fast_streams: StreamLimits) -> Iterator[LiveServer]:
    """A served app without a worker: jobs run only when the test runs them (`server.api.run_jobs()`)."""
    with LiveServer(ApiHarness(tmp_path / "quiet", run_worker=False)) as server:
        yield server


def events(url: str, headers: dict[str, str], **params: Any) -> Iterator[ServerEvent]:
    with httpx.stream("GET", url, headers={**STREAM, **headers}, params=params, timeout=TIMEOUT) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["cache-control"] == "no-cache"
        assert response.headers["ratelimit-limit"]
        yield from parse_sse(response.iter_lines())


def park(api: ApiHarness, url: str, tenant_id: str) -> dict[str, Any]:
    r = httpx.post(f"{url}/v1.0/tenants/{tenant_id}/lifecycle/park", json=REASON, headers=api.admin(), timeout=TIMEOUT)
    assert r.status_code == 202, r.text
    return dict(r.json())


# -- an operation's events
def test_an_operation_streams_each_change_then_ends_on_completed(quiet: LiveServer) -> None:
    api = quiet.api
    op = park(api, quiet.url, api.create_tenant()["tenantId"])
    seen: list[ServerEvent] = []
    for event in events(f"{quiet.url}/v1.0/operations/{op['operationId']}/events", api.admin()):
        seen.append(event)
        if len(seen) == 1:
            assert event.event == "operation" and event.json()["status"] == "PENDING"
            assert api.run_jobs() == 1
    operations = [e for e in seen if e.event == "operation"]
    assert [e.event for e in seen] == ["operation"] * len(operations) + ["end"]
    assert operations[-1].json()["status"] == "COMPLETED" and operations[-1].json()["progress"] == 100
    assert operations[-1].json()["result"]["status"] == "PARKED"
    versions = [int(str(e.id)) for e in operations]
    assert versions == sorted(set(versions)) and len(versions) >= 2
    assert seen[-1].json() == {"operationId": op["operationId"], "status": "COMPLETED"}


def test_the_in_process_worker_completes_what_the_stream_shows(live: LiveServer) -> None:
    api = live.api
    op = park(api, live.url, api.create_tenant()["tenantId"])
    seen = list(events(f"{live.url}/v1.0/operations/{op['operationId']}/events", api.admin()))
    assert seen[-1].event == "end" and seen[-2].json()["status"] == "COMPLETED"


def test_a_finished_operation_sends_its_state_and_ends(quiet: LiveServer) -> None:
    api = quiet.api
    op = park(api, quiet.url, api.create_tenant()["tenantId"])
    api.run_jobs()
    seen = list(events(f"{quiet.url}/v1.0/operations/{op['operationId']}/events", api.admin()))
    assert [e.event for e in seen] == ["operation", "end"]
    # a reconnect that already saw the last version gets only the end
    version = str(seen[0].id)
    again = list(
        events(f"{quiet.url}/v1.0/operations/{op['operationId']}/events", {**api.admin(), "Last-Event-ID": version})
    )
    assert [e.event for e in again] == ["end"]


def test_a_waiting_operation_gets_keepalives_and_the_stream_ends_at_its_limit(
    quiet: LiveServer, fast_streams: StreamLimits, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bbws.jobs import sse

    monkeypatch.setattr(sse, "LIMITS", StreamLimits(poll_seconds=0.05, keepalive_seconds=0.2, max_seconds=1.0))
    api = quiet.api
    op = park(api, quiet.url, api.create_tenant()["tenantId"])
    url = f"{quiet.url}/v1.0/operations/{op['operationId']}/events"
    with httpx.stream("GET", url, headers={**STREAM, **api.admin()}, timeout=TIMEOUT) as response:
        lines = list(response.iter_lines())  # ends by itself: the stream's time is up
    assert lines[0] == "retry: 2000"
    assert ": keepalive" in lines
    data = [json.loads(line[6:]) for line in lines if line.startswith("data: ")]
    assert [d["status"] for d in data] == ["PENDING"]


def test_without_accept_event_stream_the_answer_is_the_operation(quiet: LiveServer) -> None:
    api = quiet.api
    op = park(api, quiet.url, api.create_tenant()["tenantId"])
    r = httpx.get(f"{quiet.url}/v1.0/operations/{op['operationId']}/events", headers=api.admin(), timeout=TIMEOUT)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    assert r.json()["operationId"] == op["operationId"] and r.json()["status"] == "PENDING"


def test_another_tenants_operation_stream_is_404(quiet: LiveServer) -> None:
    api = quiet.api
    mine, theirs = api.create_tenant()["tenantId"], api.create_tenant()["tenantId"]
    op = park(api, quiet.url, theirs)
    url = f"{quiet.url}/v1.0/operations/{op['operationId']}/events"
    r = httpx.get(url, headers={**STREAM, **api.member(mine, "ADMIN")}, timeout=TIMEOUT)
    assert r.status_code == 404 and r.json()["code"] == "OPERATION_NOT_FOUND"
    assert httpx.get(url, headers=STREAM, timeout=TIMEOUT).status_code == 401
    with httpx.stream("GET", url, headers={**STREAM, **api.member(theirs, "VIEWER")}, timeout=TIMEOUT) as viewer:
        assert viewer.status_code == 200 and next(viewer.iter_lines()) == "retry: 2000"


# -- the tenant's event stream
def tenant_stream(server: LiveServer, tenant_id: str) -> str:
    return f"{server.url}/v1.0/tenants/{tenant_id}/events/stream"


def test_the_tenant_stream_sends_new_events_as_they_happen(quiet: LiveServer) -> None:
    api = quiet.api
    tenant_id = api.create_tenant()["tenantId"]
    url = tenant_stream(quiet, tenant_id)
    with httpx.stream("GET", url, headers={**STREAM, **api.admin()}, timeout=TIMEOUT) as response:
        lines = response.iter_lines()
        assert next(lines) == "retry: 2000"  # connected: from here on, new events come (creation is not replayed)
        park(api, quiet.url, tenant_id)
        api.run_jobs()
        got = []
        for event in parse_sse(lines):
            got.append(event)
            if event.event == "bbws.tenant.parked":
                break
    assert [e.event for e in got] == ["bbws.tenant.parked"]
    assert got[0].id == got[0].json()["id"] and got[0].json()["data"]["reason"] == REASON["reason"]


@pytest.fixture
def parked_tenant(quiet: LiveServer) -> str:
    """A tenant that was created, parked and unparked (its log holds those events)."""
    api = quiet.api
    tenant_id = api.create_tenant()["tenantId"]
    park(api, quiet.url, tenant_id)
    api.run_jobs()
    r = httpx.post(f"{quiet.url}/v1.0/tenants/{tenant_id}/lifecycle/unpark", headers=api.admin(), timeout=TIMEOUT)
    assert r.status_code == 202
    api.run_jobs()
    return tenant_id


def first(url: str, headers: dict[str, str], count: int, **params: Any) -> list[ServerEvent]:
    got: list[ServerEvent] = []
    for event in events(url, headers, **params):
        got.append(event)
        if len(got) == count:
            break
    return got


def test_since_replays_the_log_and_last_event_id_resumes_after_an_event(quiet: LiveServer, parked_tenant: str) -> None:
    api, url = quiet.api, tenant_stream(quiet, parked_tenant)
    log = api.client.get(url, params={"since": "2000-01-01T00:00:00Z"}, headers=api.admin()).json()["items"]
    types = [e["type"] for e in log]
    assert types[-2:] == ["bbws.tenant.parked", "bbws.tenant.unparked"] and "bbws.tenant.created" in types
    replay = first(url, api.admin(), len(log), since="2000-01-01T00:00:00Z")
    assert [e.id for e in replay] == [e["id"] for e in log]
    assert [e.event for e in replay] == types
    envelope = replay[-1].json()
    assert envelope["tenantId"] == parked_tenant and envelope["source"] == "bbws.tenant-management"
    assert envelope["data"]["unparkedBy"] == "platform-admin"
    parked = next(e for e in replay if e.event == "bbws.tenant.parked")
    resumed = first(url, {**api.admin(), "Last-Event-ID": str(parked.id)}, 1)
    assert [e.event for e in resumed] == ["bbws.tenant.unparked"]
    batch = api.client.get(url, headers={**api.admin(), "Last-Event-ID": str(parked.id)}).json()
    assert [e["type"] for e in batch["items"]] == ["bbws.tenant.unparked"] and batch["lastEventId"] == replay[-1].id


def test_types_filter_the_stream_like_webhook_filters(quiet: LiveServer, parked_tenant: str) -> None:
    api, url = quiet.api, tenant_stream(quiet, parked_tenant)
    since = "2000-01-01T00:00:00Z"
    only = first(url, api.admin(), 1, since=since, types="bbws.tenant.unparked")
    assert [e.event for e in only] == ["bbws.tenant.unparked"]
    listed = api.client.get(
        url, params={"since": since, "types": "bbws.tenant.parked,bbws.tenant.unparked"}, headers=api.admin()
    ).json()["items"]
    assert [e["type"] for e in listed] == ["bbws.tenant.parked", "bbws.tenant.unparked"]
    wildcard = api.client.get(url, params={"since": since, "types": "bbws.tenant.*"}, headers=api.admin()).json()
    assert len(wildcard["items"]) >= 3
    nothing = api.client.get(url, params={"since": since, "types": "bbws.site.*"}, headers=api.admin()).json()
    assert nothing["items"] == []


@pytest.mark.parametrize(
    ("params", "headers"),
    [
        ({"types": "tenant parked"}, {}),
        ({"types": "bbws.*.parked"}, {}),
        ({"since": "yesterday"}, {}),
        ({"since": "0001-01-01T00:00:00+05:00"}, {}),
        ({}, {"Last-Event-ID": "not-an-event"}),
        ({}, {"Last-Event-ID": "evt_zzzzzzzzzzzzzzzzzzzzzzzzzz"}),
    ],
)
def test_bad_stream_input_is_400(api: ApiHarness, params: dict[str, str], headers: dict[str, str]) -> None:
    tenant_id = api.create_tenant()["tenantId"]
    url = f"/v1.0/tenants/{tenant_id}/events/stream"
    r = api.client.get(url, params=params, headers={**api.admin(), **STREAM, **headers})
    assert r.status_code == 400, r.text
    assert r.headers["content-type"].startswith("application/problem+json")


def test_who_may_read_the_tenant_stream(api: ApiHarness) -> None:
    tenant_id, other = api.create_tenant()["tenantId"], api.create_tenant()["tenantId"]
    url = f"/v1.0/tenants/{tenant_id}/events/stream"
    for headers in (api.member(tenant_id, "VIEWER"), api.member(tenant_id, "OPERATOR"), api.platform("VIEWER")):
        assert api.client.get(url, headers=headers).status_code == 200
    hidden = api.client.get(url, headers=api.member(other, "ADMIN"))
    assert hidden.status_code == 404 and hidden.json()["code"] == "TENANT_NOT_FOUND"
    team = api.client.get(url, headers=api.member(tenant_id, "ADMIN", node_path="div_x"))
    assert team.status_code == 403
