"""A new site is ACTIVE only once its front page answers 200. No answer or a server error may be the runtime
restarting (MariaDB or PHP killed a moment ago): the job tries again, and fails with SITE_NOT_ANSWERING only once
its tries are spent. Any other answer fails it at once."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from bbws.jobs import worker as worker_module
from bbws.sites import steps
from tests.integration.sites.conftest import SiteHarness
from tests.support.api import rid
from tests.support.fake_driver import fake_health

Answering = Callable[[list[int | None]], list[int | None]]


@pytest.fixture
def answering(api: SiteHarness, monkeypatch: pytest.MonkeyPatch) -> Answering:
    """The front page answers these statuses, one per health check (200 once they run out); the statuses it gave
    so far, one per try of the job."""
    monkeypatch.setattr(steps, "GATE_ATTEMPTS", 1)  # one check per try of the job: the tries are what is counted
    monkeypatch.setattr(worker_module, "backoff_seconds", lambda *args, **kwargs: 0.0)

    def use(statuses: list[int | None]) -> list[int | None]:
        answers: Iterator[int | None] = iter(statuses)
        given: list[int | None] = []

        def health(**kwargs: Any) -> dict[str, Any]:
            report = fake_health(**kwargs)
            code = next(answers, 200)
            given.append(code)
            if code != 200:
                report["checks"][0].update(status="fail", httpStatus=code, detail=f"answered {code}")
                report["healthStatus"] = "UNHEALTHY"
            return report

        api.container.site_health = health
        return given

    return use


def create(api: SiteHarness, tenant_id: str) -> dict[str, Any]:
    body = {"siteName": "Gate", "subdomain": rid("g").replace("-", ""), "environment": "dev"}
    return api.wait(api.client.post(api.sites(tenant_id), json=body, headers=api.admin()))


@pytest.mark.parametrize("status", [500, 503, None])
def test_a_server_error_or_no_answer_is_tried_again(
    api: SiteHarness, answering: Answering, status: int | None
) -> None:
    tenant_id = api.tenant_with_instances("dev")
    given = answering([status])
    op = create(api, tenant_id)
    assert op["status"] == "COMPLETED" and given == [status, 200], (op, given)
    assert api.get_site(tenant_id, op["result"]["siteId"])["status"] == "ACTIVE"


def test_a_site_that_keeps_failing_ends_failed_with_the_gates_code(
    api: SiteHarness, answering: Answering
) -> None:
    tenant_id = api.tenant_with_instances("dev")
    given = answering([500] * 10)
    op = create(api, tenant_id)
    assert op["status"] == "FAILED" and op["error"]["code"] == "SITE_NOT_ANSWERING", op
    assert given == [500, 500, 500]  # every try the queue gives a job
    assert api.get_site(tenant_id, op["resourceId"])["status"] == "FAILED"


def test_any_other_answer_fails_at_once(api: SiteHarness, answering: Answering) -> None:
    tenant_id = api.tenant_with_instances("dev")
    given = answering([404])
    op = create(api, tenant_id)
    assert given == [404]
    assert op["status"] == "FAILED" and op["error"]["code"] == "SITE_NOT_ANSWERING", op
    assert "answered 404" in op["error"]["detail"]
