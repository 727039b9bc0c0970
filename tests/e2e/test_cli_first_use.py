"""What a first-time user meets on the command line: the server found by BBWS_HOST/BBWS_PORT, server text printed
as sent, validation rules in words, and a bad setting named in one line."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.test_cli_client import BBWS, Server, serving
from tests.support.api import rid


def bbws(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`bbws ARGS` with only the BBWS_* variables given here (no BBWS_URL unless given)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("BBWS_")}
    return subprocess.run(
        [str(BBWS), *args],
        capture_output=True,
        text=True,
        env={**clean, "COLUMNS": "200", **env},
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server on a free port, never 8080."""
    with serving(tmp_path_factory.mktemp("first-use")) as running:
        assert not running.url.endswith(":8080")
        yield running


def port_of(server: Server) -> str:
    return server.url.rsplit(":", 1)[1]


# -- 13: client commands find the server where BBWS_HOST and BBWS_PORT say it listens
@pytest.mark.parametrize("host", [None, "127.0.0.1", "0.0.0.0", "::"])
def test_client_commands_use_bbws_host_and_port_when_bbws_url_is_unset(server: Server, host: str | None) -> None:
    env = {"BBWS_PORT": port_of(server), "BBWS_DATA_DIR": str(server.data)}
    if host is not None:
        env["BBWS_HOST"] = host
    name = rid("Port Org")
    created = bbws("tenants", "create", "--name", name, "--email", "ops@example.com", "--json", **env)
    assert created.returncode == 0, created.stdout + created.stderr
    assert name in created.stdout


def test_bbws_url_and_url_flag_still_win_over_host_and_port(server: Server) -> None:
    env = {"BBWS_PORT": "9", "BBWS_DATA_DIR": str(server.data)}
    assert bbws("tenants", "list", "--json", "--url", server.url, **env).returncode == 0
    assert bbws("tenants", "list", "--json", BBWS_URL=server.url, **env).returncode == 0


# -- 14: text from the server is printed as sent; validation rules come in words
def test_square_brackets_from_the_server_print_literally(server: Server) -> None:
    env = {"BBWS_URL": server.url, "BBWS_DATA_DIR": str(server.data)}
    name = f"{rid('Brackets')} [bold]x[/bold] [a-z0-9] [red]"
    created = bbws("tenants", "create", "--name", name, "--email", "ops@example.com", "--json", **env)
    assert created.returncode == 0, created.stderr
    shown = bbws("tenants", "list", "--page-size", "100", **env)
    assert shown.returncode == 0 and name in shown.stdout, shown.stdout
    again = bbws("tenants", "create", "--name", name, "--email", "ops@example.com", **env)
    assert again.returncode == 1
    assert f"An organization named '{name}' already exists." in again.stderr, again.stderr


def test_a_bad_subdomain_is_explained_in_words(server: Server) -> None:
    env = {"BBWS_URL": server.url, "BBWS_DATA_DIR": str(server.data)}
    tid = server.json("tenants", "create", "--name", rid("Words"), "--email", "ops@example.com")["tenantId"]
    refused = bbws(
        "sites", "create", "--tenant", tid, "--env", "dev", "--name", "Acme", "--subdomain", "Bad_Name!", **env
    )
    assert refused.returncode == 1
    assert "VALIDATION_ERROR" in refused.stderr
    assert (
        "subdomain: must be lowercase letters, digits and hyphens, 1 to 63 characters, not starting or ending with a "
        "hyphen" in refused.stderr
    ), refused.stderr


# -- 15: a refused setting is one line naming the variable and its rule, exit status 2
@pytest.mark.parametrize(
    "args",
    [
        ("serve", "--port", "1"),
        ("worker",),
        ("token", "create", "--sub", "a", "--role", "ADMIN"),
        ("store", "init"),
        ("tenants", "list"),
        ("sites", "list", "--tenant", "ten_01jd3m8x2v9k4q7r5t6w8y0z1a"),
    ],
)
def test_a_bad_setting_is_one_line_and_exit_status_2(tmp_path: Path, args: tuple[str, ...]) -> None:
    data = tmp_path / "data"
    run = bbws(*args, BBWS_HEALTH_LOOKBACK_HOURS="0", BBWS_DATA_DIR=str(data))
    assert run.returncode == 2, run.stdout + run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    assert run.stderr.strip().splitlines() == ["error: BBWS_HEALTH_LOOKBACK_HOURS=0: must be greater than 0"]
    assert not data.exists(), "nothing is made before the settings are read"


def test_every_refused_setting_is_named(tmp_path: Path) -> None:
    run = bbws("store", "init", BBWS_PORT="eighty", BBWS_AWS_ACCOUNT_ID="12", BBWS_DATA_DIR=str(tmp_path))
    assert run.returncode == 2
    [line] = run.stderr.strip().splitlines()
    assert "BBWS_PORT=eighty: must be a valid integer" in line
    assert "BBWS_AWS_ACCOUNT_ID=12: must be twelve digits" in line
