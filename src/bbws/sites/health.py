"""Real health checks of one running site: its pages over HTTP, its database, WordPress's Site Health, plugin drift."""

from __future__ import annotations

import time
from typing import Any

import httpx

from bbws.core.clock import Clock, iso
from bbws.core.driver import DriverError, InstanceSpec, RuntimeDriver
from bbws.instances.probes import database_outage
from bbws.sites import drift
from bbws.sites.models import HealthStatus

PASS, WARN, FAIL = "pass", "warn", "fail"
# A page slower than this still works, but the site is DEGRADED.
SLOW_MS = 2000
# Site Health tests whose `critical` result comes from how the platform runs WordPress on purpose, not from a
# problem of the site: outbound HTTP is blocked (WP_HTTP_BLOCK_EXTERNAL), so WordPress reports its own requests
# to wordpress.org as blocked. They are reported, but do not make a site DEGRADED.
EXPECTED_CRITICAL_TESTS = frozenset({"http_requests"})
PAGES = (("frontPage", ""), ("restApi", "wp-json/"), ("loginPage", "wp-login.php"))


def check_site(
    *,
    driver: RuntimeDriver,
    spec: InstanceSpec,
    key: str,
    url: str,
    declared: dict[str, Any] | None,
    clock: Clock,
    timeout: float = 10.0,
    deep: bool = True,
) -> dict[str, Any]:
    """Check the site at `url` (ending with `/`) and return the health report; a broken site gives failing checks.
    Without `deep`, only its front page is checked (a new site's gate: it answers; the periodic check goes deep)."""
    checked_at = iso(clock.now())
    checks = _page_checks(url, timeout, PAGES if deep else PAGES[:1])
    versions: dict[str, Any] = {"wordpress": None, "php": None, "database": None}
    site_health: dict[str, Any] = {"status": None, "counts": {}, "tests": []}
    found: list[dict[str, Any]] = []
    if not deep:
        return {
            "healthStatus": classify(checks).value,
            "checkedAt": checked_at,
            "checks": checks,
            "depth": "frontPage",
            "versions": versions,
            "siteHealth": site_health,
            "drift": found,
        }
    outage = database_outage(driver)  # known down and restarting: say so now rather than wait for a start
    try:
        if outage is not None:
            raise DriverError(outage, code="RUNTIME_DB_UNAVAILABLE", retryable=True)
        report = driver.run_admin(spec, key, "health")
    except DriverError as exc:
        reason = _short(exc.reason)
        checks.append(_check("database", FAIL, f"the site's PHP side or database did not answer: {reason}"))
        checks.append(_check("siteHealth", FAIL, "not run: WordPress could not be loaded"))
        checks.append(_check("drift", FAIL, "not compared: WordPress could not be loaded"))
    else:
        versions = {name: report.get(name) for name in versions}
        site_health = {
            "status": report.get("status"),
            "counts": dict(report.get("counts") or {}),
            "tests": list(report.get("tests") or []),
        }
        checks.append(_database_check(versions))
        checks.append(judge_site_health(site_health["tests"]))
        found, drift_check = _drift_check(driver, spec, key, declared, report.get("packages"))
        checks.append(drift_check)
    return {
        "healthStatus": classify(checks).value,
        "checkedAt": checked_at,
        "checks": checks,
        "depth": "full",
        "versions": versions,
        "siteHealth": site_health,
        "drift": found,
    }


def classify(checks: list[dict[str, Any]]) -> HealthStatus:
    """Any failing check makes the site UNHEALTHY; else any warning makes it DEGRADED; else it is HEALTHY."""
    statuses = {check["status"] for check in checks}
    if FAIL in statuses:
        return HealthStatus.UNHEALTHY
    if WARN in statuses:
        return HealthStatus.DEGRADED
    return HealthStatus.HEALTHY


def _check(name: str, status: str, detail: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "status": status, **extra, "detail": detail}


def _short(reason: str, limit: int = 300) -> str:
    """The last line of a runtime error: PHP's error pages end with their message, after the page's styles."""
    lines = [line.strip() for line in reason.splitlines() if line.strip()]
    last = lines[-1] if lines else "no reason given"
    return last if len(last) <= limit else last[: limit - 1] + "…"


def _page_checks(url: str, timeout: float, pages: tuple[tuple[str, str], ...] = PAGES) -> list[dict[str, Any]]:
    # No proxies from the environment and no redirects: the site itself must answer 200 at its own URL.
    with httpx.Client(trust_env=False, follow_redirects=False, timeout=timeout) as client:
        return [_page_check(client, name, url + path) for name, path in pages]


def _page_check(client: httpx.Client, name: str, url: str) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        response = client.get(url)
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        latency = round((time.perf_counter() - started) * 1000)
        return _check(
            name, FAIL, f"no answer from {url}: {type(exc).__name__} {exc}".strip(), httpStatus=None, latencyMs=latency
        )
    return judge_page(name, url, response.status_code, round((time.perf_counter() - started) * 1000))


def judge_page(name: str, url: str, code: int, latency: int) -> dict[str, Any]:
    """A page passes when it answers 200, and warns when it does so slower than SLOW_MS."""
    if code != 200:
        return _check(
            name, FAIL, f"{url} answered {code} in {latency} ms (expected 200)", httpStatus=code, latencyMs=latency
        )
    if latency > SLOW_MS:
        return _check(
            name,
            WARN,
            f"{url} answered 200 in {latency} ms (slower than {SLOW_MS} ms)",
            httpStatus=code,
            latencyMs=latency,
        )
    return _check(name, PASS, f"{url} answered 200 in {latency} ms", httpStatus=code, latencyMs=latency)


def _database_check(versions: dict[str, Any]) -> dict[str, Any]:
    if not versions.get("database"):
        return _check("database", FAIL, "WordPress loaded but the database did not report its version")
    return _check(
        "database",
        PASS,
        f"reachable: {versions['database']} (WordPress {versions['wordpress']}, PHP {versions['php']})",
    )


def judge_site_health(tests: list[dict[str, Any]]) -> dict[str, Any]:
    """Warns on a critical Site Health result, except the ones the platform causes on purpose."""
    critical = [t for t in tests if t.get("status") == "critical"]
    counted = [t for t in critical if t.get("test") not in EXPECTED_CRITICAL_TESTS]
    expected = sorted(str(t.get("test")) for t in critical if t.get("test") in EXPECTED_CRITICAL_TESTS)
    note = f"; critical by the platform's design, not counted: {', '.join(expected)}" if expected else ""
    if counted:
        names = ", ".join(f"{t.get('test')} ({t.get('label')})" for t in counted)
        return _check("siteHealth", WARN, f"critical: {names}{note}")
    recommended = sum(1 for t in tests if t.get("status") == "recommended")
    return _check("siteHealth", PASS, f"{len(tests)} tests, no critical result, {recommended} recommended{note}")


def _drift_check(
    driver: RuntimeDriver,
    spec: InstanceSpec,
    key: str,
    declared: dict[str, Any] | None,
    packages: dict[str, Any] | None = None,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    try:
        packages = packages or driver.run_admin(spec, key, "packages")
        plugins, themes = packages["plugins"], packages["themes"]
    except DriverError as exc:
        return [], _check("drift", FAIL, f"plugins and themes could not be listed: {_short(exc.reason)}")
    found = drift.compare(declared, plugins, themes)
    return found, judge_drift(found)


def judge_drift(found: list[dict[str, Any]]) -> dict[str, Any]:
    """Any drift warns: the site works, but not as declared (a promotion or a template would not reproduce it)."""
    if not found:
        return _check("drift", PASS, "plugins and theme are as declared")
    listed = ", ".join(f"{item['kind']} {item['slug']}: {item['issue']}" for item in found)
    return _check("drift", WARN, f"{len(found)} difference(s) from what is declared: {listed}")
