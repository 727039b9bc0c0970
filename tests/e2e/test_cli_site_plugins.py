"""`bbws sites plugins` end to end: against a real `bbws serve` and real WordPress, each change is an operation the
command waits for (its progress bar, then the finished Operation) unless `--no-wait`."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from tests.e2e.test_cli_client import serving
from tests.support import packages
from tests.support.api import rid


def test_plugin_commands_wait_for_their_operations(tmp_path: Path) -> None:
    with serving(tmp_path) as server:
        tid = server.json("tenants", "create", "--name", rid("Cli Plugins"), "--email", "ops@example.com")["tenantId"]
        made = server.cli("instances", "create", "--tenant", tid, "--env", "dev", "--workers", "1")
        assert made.returncode == 0, made.stdout + made.stderr
        subdomain = rid("p").replace("-", "")
        created = server.cli(
            "sites", "create", "--tenant", tid, "--env", "dev", "--name", "Plugins", "--subdomain", subdomain
        )
        assert created.returncode == 0, created.stdout + created.stderr
        uploaded = httpx.post(
            f"{server.url}/v1.0/plugins",
            content=packages.fixture_zip("bbws-hello", tmp_path / "zips").read_bytes(),
            headers={"Authorization": f"Bearer {server.token}", "Content-Type": "application/zip"},
            timeout=30,
        )
        assert uploaded.status_code == 201, uploaded.text
        site = ["--tenant", tid, "--env", "dev", "--subdomain", subdomain]

        installed = server.cli("sites", "plugins", "install", *site, "--slug", "bbws-hello")
        assert installed.returncode == 0, installed.stdout + installed.stderr
        done = re.search(r"Operation (op_[0-9a-z]{26}) COMPLETED", installed.stdout)
        assert done, installed.stdout  # it waited: the command printed the finished operation
        assert "SITE_INSTALL_PLUGIN" in installed.stderr  # the progress bar's label
        listed = {i["slug"]: i for i in server.json("sites", "plugins", "list", *site)["items"]}
        assert listed["bbws-hello"]["actual"] == {"version": "1.0.0", "active": True}
        assert listed["bbws-hello"]["inSync"] is True
        url = server.json("sites", "get", *site)["url"]
        assert "Hello from BBWS" in httpx.get(url, timeout=20, trust_env=False).text

        again = server.cli("sites", "plugins", "install", *site, "--slug", "bbws-hello")
        assert again.returncode == 1 and "PLUG_004" in again.stdout, again.stdout + again.stderr

        queued = server.cli("sites", "plugins", "deactivate", *site, "bbws-hello", "--no-wait")
        assert queued.returncode == 0, queued.stdout + queued.stderr
        op_id = queued.stdout.strip()
        assert re.fullmatch(r"op_[0-9a-z]{26}", op_id), queued.stdout
        watched = server.json("operations", "watch", op_id)
        assert watched["status"] == "COMPLETED", watched
        listed = {i["slug"]: i for i in server.json("sites", "plugins", "list", *site)["items"]}
        assert listed["bbws-hello"]["actual"]["active"] is False

        refused = server.cli("sites", "plugins", "configure", *site, "bbws-hello", "--set", "siteurl=http://x.example")
        assert refused.returncode == 1 and "SITE_001" in refused.stderr, refused.stdout + refused.stderr
        removed = server.cli("sites", "plugins", "remove", *site, "bbws-hello")
        assert removed.returncode == 0 and "COMPLETED" in removed.stdout, removed.stdout + removed.stderr
        assert "bbws-hello" not in {i["slug"] for i in server.json("sites", "plugins", "list", *site)["items"]}
