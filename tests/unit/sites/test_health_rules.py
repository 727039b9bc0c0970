"""How health checks are judged and combined into HEALTHY / DEGRADED / UNHEALTHY (no I/O)."""

from __future__ import annotations

from typing import Any

import pytest

from bbws.sites.health import (
    EXPECTED_CRITICAL_TESTS,
    SLOW_MS,
    classify,
    judge_drift,
    judge_page,
    judge_site_health,
)
from bbws.sites.models import HealthStatus

NAMES = ("frontPage", "restApi", "loginPage", "database", "siteHealth", "drift")


def checks(**statuses: str) -> list[dict[str, Any]]:
    return [{"name": name, "status": statuses.get(name, "pass"), "detail": ""} for name in NAMES]


def test_all_passing_is_healthy() -> None:
    assert classify(checks()) is HealthStatus.HEALTHY


@pytest.mark.parametrize("name", NAMES)
def test_any_failing_check_is_unhealthy_even_with_warnings(name: str) -> None:
    assert classify(checks(**{name: "fail"})) is HealthStatus.UNHEALTHY
    others = {other: "warn" for other in NAMES if other != name}
    assert classify(checks(**others, **{name: "fail"})) is HealthStatus.UNHEALTHY


@pytest.mark.parametrize("name", NAMES)
def test_a_warning_without_failures_is_degraded(name: str) -> None:
    assert classify(checks(**{name: "warn"})) is HealthStatus.DEGRADED


def test_a_page_passes_on_200_only() -> None:
    assert judge_page("frontPage", "http://s/", 200, 20)["status"] == "pass"
    for code in (301, 302, 401, 404, 500, 503):
        judged = judge_page("loginPage", "http://s/wp-login.php", code, 20)
        assert (judged["status"], judged["httpStatus"], judged["latencyMs"]) == ("fail", code, 20)


def test_a_slow_page_warns_and_a_slow_error_still_fails() -> None:
    assert judge_page("restApi", "http://s/wp-json/", 200, SLOW_MS)["status"] == "pass"
    assert judge_page("restApi", "http://s/wp-json/", 200, SLOW_MS + 1)["status"] == "warn"
    assert judge_page("restApi", "http://s/wp-json/", 503, SLOW_MS + 1)["status"] == "fail"


def test_site_health_warns_on_a_critical_test_that_counts() -> None:
    tests = [
        {"test": "php_version", "status": "good", "label": "PHP is current"},
        {"test": "plugin_version", "status": "recommended", "label": "Remove inactive plugins"},
    ]
    assert judge_site_health(tests)["status"] == "pass"
    judged = judge_site_health([*tests, {"test": "sql_server", "status": "critical", "label": "Old database"}])
    assert judged["status"] == "warn" and "sql_server" in judged["detail"]


def test_site_health_criticals_caused_by_the_platform_are_reported_but_do_not_count() -> None:
    assert "http_requests" in EXPECTED_CRITICAL_TESTS
    blocked = [{"test": "http_requests", "status": "critical", "label": "HTTP requests are blocked"}]
    judged = judge_site_health(blocked)
    assert judged["status"] == "pass" and "http_requests" in judged["detail"]
    rest = {"test": "rest_availability", "status": "critical", "label": "The REST API encountered an error"}
    assert judge_site_health([*blocked, rest])["status"] == "warn"


def test_drift_warns() -> None:
    assert judge_drift([])["status"] == "pass"
    item = {"kind": "plugin", "slug": "spam", "issue": "unexpected", "declared": None, "actual": {}}
    judged = judge_drift([item])
    assert judged["status"] == "warn" and "plugin spam: unexpected" in judged["detail"]
