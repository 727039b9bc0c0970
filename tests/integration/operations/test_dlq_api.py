"""The DLQ tools over HTTP: a job that always fails lands in the DLQ; admins list, show, redrive and purge it."""

from __future__ import annotations

from typing import Any

import pytest

from bbws.core.changes import Actor, Changes
from bbws.core.handlers import JobContext
from bbws.core.ids import new_id
from bbws.core.queue import Job
from bbws.events.outbox import enqueue
from bbws.jobs.operations import start_operation
from tests.support.api import ApiHarness, rid

DLQ = "/v1.0/admin/dlq"


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retries are due at once, so three tries run in one `run_jobs()`."""
    monkeypatch.setattr("bbws.jobs.worker.backoff_seconds", lambda *_a, **_k: 0.0)


class Flaky:
    """A job handler added to the API's handlers under a fresh name: fails while `failing`, then succeeds."""

    def __init__(self, api: ApiHarness) -> None:
        self.name = rid("FlakyJob")
        self.failing = True
        self.calls = 0
        api.container.handlers.register(self.name)(self)

    def __call__(self, job: Job, ctx: JobContext) -> dict[str, Any]:
        self.calls += 1
        if self.failing:
            raise RuntimeError(f"boom {job.payload['n']}")
        return {"message": "Worked at last.", "n": job.payload["n"]}


def queue_job(api: ApiHarness, handler: Flaky, tenant_id: str, n: int = 1) -> tuple[str, str]:
    """Queue a job with its Operation (one transaction, as services do); returns (message id, operation id)."""
    changes = Changes(actor=Actor.system("test"), now=api.container.clock.now())
    op = start_operation(
        changes, tenant_id=tenant_id, operation_type="TEST_FLAKY", resource_type="test", resource_id=rid("thing")
    )
    job = Job(name=handler.name, tenant_id=tenant_id, operation_id=op["operationId"], payload={"n": n})
    enqueue(changes, job)
    changes.commit(api.container.store)
    return job.message_id, op["operationId"]


def dead_letter(api: ApiHarness, n: int = 1) -> tuple[Flaky, str, str, str]:
    """A tenant whose flaky job ran three times and is now dead-lettered: (handler, tenant, message, operation)."""
    handler, tenant_id = Flaky(api), api.create_tenant()["tenantId"]
    message_id, op_id = queue_job(api, handler, tenant_id, n)
    api.run_jobs()
    assert handler.calls == 3
    return handler, tenant_id, message_id, op_id


def test_a_job_that_always_fails_is_listed_with_its_error_and_tries(api: ApiHarness) -> None:
    _, tenant_id, message_id, op_id = dead_letter(api)
    op = api.client.get(f"/v1.0/operations/{op_id}", headers=api.admin()).json()
    assert op["status"] == "FAILED" and "dead-letter" in op["message"]
    page = api.client.get(DLQ, headers=api.admin()).json()
    [row] = [r for r in page["items"] if r["messageId"] == message_id]
    assert row["job"].startswith("FlakyJob") and row["tenantId"] == tenant_id and row["operationId"] == op_id
    assert row["receives"] == 3 and "boom 1" in row["lastError"]
    assert row["deadAt"].endswith("Z") and row["enqueuedAt"] <= row["deadAt"]
    assert row["_links"]["self"]["href"] == f"{DLQ}/{message_id}"
    assert row["_links"]["operation"]["href"] == f"/v1.0/operations/{op_id}"
    shown = api.client.get(f"{DLQ}/{message_id}", headers=api.admin())
    assert shown.status_code == 200 and shown.json()["payload"] == {"n": 1}


def test_the_list_pages_with_a_cursor(api: ApiHarness) -> None:
    handler, tenant_id = Flaky(api), api.create_tenant()["tenantId"]
    queued = {queue_job(api, handler, tenant_id, n)[0] for n in range(5)}
    api.run_jobs()
    seen: list[str] = []
    url: str | None = f"{DLQ}?pageSize=2"
    while url:
        page = api.client.get(url, headers=api.admin()).json()
        assert len(page["items"]) <= 2
        seen += [r["messageId"] for r in page["items"]]
        url = page["_links"].get("next", {}).get("href")
        assert page["moreAvailable"] == (url is not None)
    assert queued <= set(seen) and seen == sorted(seen)
    bad = api.client.get(f"{DLQ}?startAt=forged.cursor", headers=api.admin())
    assert bad.status_code == 400 and bad.json()["code"] == "INVALID_PAGINATION_TOKEN"


def test_redrive_runs_the_job_again_and_its_operation_completes(api: ApiHarness) -> None:
    handler, tenant_id, message_id, op_id = dead_letter(api)
    handler.failing = False
    r = api.client.post(f"{DLQ}/redrive", json={"messageIds": [message_id]}, headers=api.admin())
    assert r.status_code == 200 and r.json() == {"redriven": 1}
    reopened = api.client.get(f"/v1.0/operations/{op_id}", headers=api.admin()).json()
    assert reopened["status"] == "PENDING" and reopened["message"] == "Redriven from the DLQ."
    assert reopened["error"] is None and reopened["completedAt"] is None
    assert api.client.get(f"{DLQ}/{message_id}", headers=api.admin()).status_code == 404
    api.run_jobs()
    done = api.client.get(f"/v1.0/operations/{op_id}", headers=api.admin()).json()
    assert done["status"] == "COMPLETED" and done["result"]["n"] == 1 and handler.calls == 4
    audit = api.client.get(f"/v1.0/tenants/{tenant_id}/audit", headers=api.admin()).json()["items"]
    assert any(a["action"] == "operation.redriven" and a["resourceId"] == op_id for a in audit)


def test_redrive_without_ids_redrives_everything(api: ApiHarness) -> None:
    first, second = dead_letter(api, 1), dead_letter(api, 2)
    r = api.client.post(f"{DLQ}/redrive", json={}, headers=api.admin())
    assert r.status_code == 200 and r.json()["redriven"] >= 2
    for handler, _, _, op_id in (first, second):
        handler.failing = False
        assert api.client.get(f"/v1.0/operations/{op_id}", headers=api.admin()).json()["status"] == "PENDING"
    api.run_jobs()
    assert api.client.get(DLQ, headers=api.admin()).json()["items"] == []


def test_purge_named_jobs_or_all_with_confirmation(api: ApiHarness) -> None:
    _, _, one, op_id = dead_letter(api, 1)
    _, _, two, _ = dead_letter(api, 2)
    refused = api.client.delete(DLQ, headers=api.admin())
    assert refused.status_code == 400 and refused.json()["code"] == "CONFIRMATION_REQUIRED"
    assert "confirm=true" in refused.json()["detail"]
    assert len(api.client.get(DLQ, headers=api.admin()).json()["items"]) == 2
    r = api.client.delete(DLQ, params={"messageId": one}, headers=api.admin())
    assert r.status_code == 200 and r.json() == {"purged": 1}
    assert api.client.get(f"{DLQ}/{one}", headers=api.admin()).status_code == 404
    assert api.client.get(f"/v1.0/operations/{op_id}", headers=api.admin()).json()["status"] == "FAILED"
    r = api.client.delete(DLQ, params={"confirm": "true"}, headers=api.admin())
    assert r.status_code == 200 and r.json() == {"purged": 1}
    assert api.client.get(f"{DLQ}/{two}", headers=api.admin()).status_code == 404


def test_unknown_ids_are_404_and_change_nothing(api: ApiHarness) -> None:
    _, _, message_id, _ = dead_letter(api)
    ghost = new_id("msg")
    shown = api.client.get(f"{DLQ}/{ghost}", headers=api.admin())
    assert shown.status_code == 404 and shown.json()["code"] == "DEAD_LETTER_NOT_FOUND"
    for call in (
        lambda: api.client.post(f"{DLQ}/redrive", json={"messageIds": [message_id, ghost]}, headers=api.admin()),
        lambda: api.client.delete(DLQ, params={"messageId": [message_id, ghost]}, headers=api.admin()),
    ):
        r = call()
        assert r.status_code == 404 and r.json()["messageIds"] == [ghost], r.text
    assert api.client.get(f"{DLQ}/{message_id}", headers=api.admin()).status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("GET", DLQ, {"params": {"pageSize": 0}}),
        ("GET", f"{DLQ}/not-a-message", {}),
        ("POST", f"{DLQ}/redrive", {"json": {"messageIds": []}}),
        ("POST", f"{DLQ}/redrive", {"json": {"messageIds": ["msg_x"]}}),
        ("POST", f"{DLQ}/redrive", {"json": {"all": True}}),
        ("DELETE", DLQ, {"params": {"messageId": "nope"}}),
        ("DELETE", DLQ, {"params": {"confirm": "maybe"}}),
    ],
)
def test_bad_input_is_400(api: ApiHarness, method: str, path: str, kwargs: dict[str, Any]) -> None:
    r = api.client.request(method, path, headers=api.admin(), **kwargs)
    assert r.status_code == 400, r.text
    assert r.headers["content-type"].startswith("application/problem+json")


def test_only_platform_admins_use_the_dlq(api: ApiHarness) -> None:
    _, tenant_id, message_id, _ = dead_letter(api)
    others = [api.platform("OPERATOR"), api.platform("VIEWER"), api.member(tenant_id, "ADMIN")]
    for headers in others:
        for method, path, kwargs in (
            ("GET", DLQ, {}),
            ("GET", f"{DLQ}/{message_id}", {}),
            ("POST", f"{DLQ}/redrive", {"json": {}}),
            ("DELETE", DLQ, {"params": {"confirm": "true"}}),
        ):
            r = api.client.request(method, path, headers=headers, **kwargs)
            assert r.status_code == 403 and r.json()["code"] == "FORBIDDEN", (method, path, r.text)
    assert api.client.get(DLQ).status_code == 401
    assert api.client.get(f"{DLQ}/{message_id}", headers=api.admin()).status_code == 200


class Unavailable(Exception):
    """A retryable failure that names its cause, as the runtime's DriverError does (`code`, `retryable`)."""

    def __init__(self, code: str) -> None:
        super().__init__("MariaDB went away while install.php ran; the step is retried")
        self.code, self.retryable = code, True


@pytest.mark.parametrize(("raised", "shown"), [("RUNTIME_DB_UNAVAILABLE", "RUNTIME_DB_UNAVAILABLE"),
                                               ("RUNTIME_ERROR", "JOB_FAILED")])
def test_an_operation_whose_every_try_lost_the_database_says_so(api: ApiHarness, raised: str, shown: str) -> None:
    class AlwaysUnavailable(Flaky):
        def __call__(self, job: Job, ctx: JobContext) -> dict[str, Any]:
            self.calls += 1
            raise Unavailable(raised)

    handler = AlwaysUnavailable(api)
    _, op_id = queue_job(api, handler, api.create_tenant()["tenantId"])
    api.run_jobs()
    assert handler.calls == 3, "retried like any other failure"
    op = api.client.get(f"/v1.0/operations/{op_id}", headers=api.admin()).json()
    assert op["status"] == "FAILED" and "dead-letter" in op["message"]
    assert op["error"]["code"] == shown, op["error"]
    assert "MariaDB went away" in op["error"]["detail"]
