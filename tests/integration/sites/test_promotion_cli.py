"""`bbws sites promote --dry-run` against a served API over the in-memory runtime: the blockers are printed,
and an error's hint names the `bbws` command to run (the CLI says who it is in User-Agent)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from bbws.cli.main import app
from tests.integration.operations.conftest import LiveServer
from tests.integration.sites.conftest import SiteHarness


def test_the_cli_prints_the_blockers_and_the_bbws_command_that_clears_them(tmp_path: Path) -> None:
    api = SiteHarness(tmp_path / "data")
    tid = api.tenant_with_instances("dev")
    dev = api.create_site(tid)
    token = api.admin()["Authorization"].removeprefix("Bearer ")
    fix = f"bbws instances create --tenant {tid} --env sit"
    runner = CliRunner()
    with LiveServer(api) as server:
        common = ["--tenant", tid, "--site", dev["siteId"], "--to", "sit", "--url", server.url, "--token", token]
        plan = runner.invoke(app, ["sites", "promote", *common, "--dry-run"], env={"COLUMNS": "200"})
        assert plan.exit_code == 1, plan.output
        assert "would be refused" in plan.stdout and "INSTANCE_NOT_FOUND" in plan.stdout
        assert f"next: {fix}" in plan.stdout

        real = runner.invoke(app, ["sites", "promote", *common, "--no-wait"], env={"COLUMNS": "200"})
        assert real.exit_code == 1
        assert "INSTANCE_NOT_FOUND" in real.stderr and f"next: {fix}" in real.stderr

        made = runner.invoke(
            app,
            [
                "instances",
                "create",
                "--tenant",
                tid,
                "--env",
                "sit",
                "--no-wait",
                "--url",
                server.url,
                "--token",
                token,
            ],
        )
        assert made.exit_code == 0, made.output
        api.run_jobs()
        ready = runner.invoke(app, ["sites", "promote", *common, "--dry-run"], env={"COLUMNS": "200"})
        assert ready.exit_code == 0, ready.output
        assert "is ready" in ready.stdout and "would be refused" not in ready.stdout
