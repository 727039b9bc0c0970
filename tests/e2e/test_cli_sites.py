"""`bbws sites` end to end: a real `bbws serve` makes a site from the `business` template, promotes it, and
the site comes back after a server restart."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from tests.e2e.test_cli_client import serving
from tests.e2e.test_cli_instances import BACK_WITHIN
from tests.support.api import rid
from tests.support.waiting import wait_until


def answers(url: str) -> int | None:
    try:
        return httpx.get(url, timeout=10, trust_env=False).status_code
    except httpx.TransportError:
        return None


def test_sites_commands(tmp_path: Path) -> None:
    with serving(tmp_path) as server:
        tid = server.json("tenants", "create", "--name", rid("Cli Sites"), "--email", "ops@example.com")["tenantId"]
        for env in ("dev", "sit"):
            made = server.cli("instances", "create", "--tenant", tid, "--env", env, "--workers", "1")
            assert made.returncode == 0, made.stdout + made.stderr
        templates = server.json("templates", "list")
        assert {"business", "blog"} <= {t["slug"] for t in templates}

        created = server.cli(
            "sites",
            "create",
            "--tenant",
            tid,
            "--env",
            "dev",
            "--name",
            "Acme",
            "--subdomain",
            "acme",
            "--template",
            "business",
        )
        assert created.returncode == 0, created.stdout + created.stderr
        found = re.search(
            r"Site (site_[0-9a-z]{26}) \(dev\) answers at (http://127\.0\.0\.1:\d+/acme/)", created.stdout
        )
        assert found, created.stdout
        site_url = found.group(2)
        page = httpx.get(site_url, timeout=10, trust_env=False)
        assert page.status_code == 200 and "Acme" in page.text

        taken = server.cli("sites", "create", "--tenant", tid, "--env", "dev", "--name", "X", "--subdomain", "acme")
        assert taken.returncode == 1 and "SITE_003" in taken.stderr
        reserved = server.cli("sites", "create", "--tenant", tid, "--env", "dev", "--name", "X", "--subdomain", "www")
        assert reserved.returncode == 1 and "SITE_001" in reserved.stderr

        health = server.json("sites", "health", "--tenant", tid, "--env", "dev", "--subdomain", "acme")
        assert health["healthStatus"] == "HEALTHY", health
        checked = server.json("sites", "health", "--tenant", tid, "--env", "dev", "--subdomain", "acme", "--now")
        assert checked["healthStatus"] == "HEALTHY" and checked["checkedAt"] > health["checkedAt"], checked
        names = {c["name"] for c in checked["checks"]}
        assert {"frontPage", "restApi", "loginPage", "database"} <= names, checked
        latest = server.json("sites", "health", "--tenant", tid, "--env", "dev", "--subdomain", "acme")
        assert latest["checkedAt"] == checked["checkedAt"]
        plan = server.json(
            "sites", "promote", "--tenant", tid, "--env", "dev", "--subdomain", "acme", "--to", "sit", "--dry-run"
        )
        assert plan["dryRun"] is True and plan["targetSiteId"] is None
        promoted = server.cli("sites", "promote", "--tenant", tid, "--env", "dev", "--subdomain", "acme", "--to", "sit")
        assert promoted.returncode == 0, promoted.stdout + promoted.stderr
        sit_url = re.search(r"\(sit\) answers at (http://127\.0\.0\.1:\d+/acme/)", promoted.stdout)
        assert sit_url and answers(sit_url.group(1)) == 200
        skipped = server.cli("sites", "promote", "--tenant", tid, "--env", "dev", "--subdomain", "acme", "--to", "prod")
        assert skipped.returncode == 1 and "SITE_006" in skipped.stderr

        assert server.cli("sites", "suspend", "--tenant", tid, "--env", "dev", "--subdomain", "acme").returncode == 0
        assert answers(site_url) == 503
        assert server.cli("sites", "activate", "--tenant", tid, "--env", "dev", "--subdomain", "acme").returncode == 0
        listed = server.json("sites", "list", "--tenant", tid)
        assert sorted((s["environment"], s["status"]) for s in listed) == [("dev", "ACTIVE"), ("sit", "ACTIVE")]
    assert answers(site_url) is None  # the server stopped: so did its instances

    with serving(tmp_path) as server:  # same data dir: the sites answer again, once their instance is back
        assert wait_until(lambda: answers(site_url) == 200, timeout=BACK_WITHIN)
        deleted = server.json("sites", "delete", "--tenant", tid, "--env", "dev", "--subdomain", "acme")
        assert deleted["status"] == "COMPLETED" and deleted["result"]["status"] == "DELETED"
        assert answers(site_url) == 404
