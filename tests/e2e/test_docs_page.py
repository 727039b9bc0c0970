"""/docs (Swagger UI) and /redoc work without internet: a headless Chromium that can reach nothing but the
server renders the operations of a real `bbws serve`."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.test_cli_client import Server, serving

# Any host but the server's fails to resolve, so a page that needs a CDN stays blank here even with internet.
OFFLINE = "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"
SUMMARIES = ("Create a tenant", "List the tenant's sites", "Delete a site (backed up first)")


def chromium() -> str:
    found = shutil.which("chromium")
    if found is None:  # a missing browser is a broken machine, not a reason to skip
        pytest.fail("chromium is not installed: run `bash scripts/setup.sh --dev` (Debian package `chromium`)")
    return found


def rendered(url: str, profile: Path) -> str:
    """The page's DOM after its scripts ran (virtual time: no wall-clock sleeps)."""
    run = subprocess.run(
        [
            chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            f"--user-data-dir={profile}",
            f"--host-resolver-rules={OFFLINE}",
            "--virtual-time-budget=30000",
            "--dump-dom",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    return run.stdout


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    chromium()
    with serving(tmp_path_factory.mktemp("docs"), "--no-worker") as running:
        yield running


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_docs_pages_load_nothing_from_other_hosts(server: Server, page: str) -> None:
    html = httpx.get(server.url + page, timeout=10).text
    sources = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)
    assert sources, html
    assert all(s.startswith("/") for s in sources), sources
    for source in sources:
        assert httpx.get(server.url + source, timeout=10).status_code == 200, source


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_docs_pages_list_the_operations_in_a_browser_without_internet(
    server: Server, page: str, tmp_path: Path
) -> None:
    dom = rendered(server.url + page, tmp_path / "profile")
    missing = [s for s in SUMMARIES if s not in dom]
    assert not missing, f"{page} rendered without {missing}:\n{dom[:3000]}"
