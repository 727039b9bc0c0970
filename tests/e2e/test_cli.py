"""The installed `bbws` command end to end: tokens, store, mail, and `serve` as a real process on a free port."""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.api import rid

BBWS = Path(sys.executable).parent / "bbws"
STARTUP_TIMEOUT = 60.0
STOP_TIMEOUT = 20.0


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without any BBWS_* setting, so only the flags under test apply."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BBWS_")}
    return {**env, **extra}


def bbws(
    *args: str, data_dir: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    argv = [str(BBWS), *args, *(["--data-dir", str(data_dir)] if data_dir else [])]
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, env=env or clean_env(), check=False)


def last_word(result: subprocess.CompletedProcess[str]) -> str:
    words = result.stdout.split()
    return words[-1] if words else ""


def claims_of(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def assert_jwt(token: str) -> None:
    parts = token.split(".")
    assert len(parts) == 3 and all(parts), f"not a JWT: {token!r}"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module", autouse=True)
def installed() -> None:
    assert BBWS.exists(), f"the bbws console script is not installed next to {sys.executable}"


# -- one-shot commands
def test_token_create_prints_a_platform_token_as_its_last_word(tmp_path: Path) -> None:
    result = bbws("token", "create", "--sub", "a", "--role", "ADMIN", "--ttl", "90m", data_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    token = last_word(result)
    assert_jwt(token)
    claims = claims_of(token)
    assert claims["sub"] == "a" and claims["cognito:groups"] == ["platform-admin"]
    assert claims["exp"] - claims["iat"] == 5400
    viewer = claims_of(last_word(bbws("token", "create", "--sub", "v", "--role", "viewer", data_dir=tmp_path)))
    assert viewer["cognito:groups"] == ["platform-viewer"]
    scoped = bbws(
        "token", "create", "--sub", "s", "--role", "OPERATOR", "--scope", "env:dev sites:write", data_dir=tmp_path
    )
    assert claims_of(last_word(scoped))["scope"] == "env:dev sites:write"


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["--role", "BOSS"], "--role"),
        (["--role", "ADMIN", "--ttl", "0"], "positive"),
        (["--role", "ADMIN", "--ttl", "soon"], "positive"),
        (["--role", "ADMIN", "--tenant", "ten_01jd3m8x2v9k4q7r5t6w8y0z1a"], "ten_01jd3m8x2v9k4q7r5t6w8y0z1a"),
        (["--role", "ADMIN", "--tenant", "not-a-tenant"], "not-a-tenant"),
    ],
)
def test_token_create_refuses_bad_input(tmp_path: Path, args: list[str], complaint: str) -> None:
    result = bbws("token", "create", "--sub", "a", *args, data_dir=tmp_path)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "eyJ" not in output, "a token was printed anyway"
    assert "Traceback" not in output
    assert complaint in output, output


def test_store_init_and_mail_list(tmp_path: Path) -> None:
    init = bbws("store", "init", data_dir=tmp_path)
    assert init.returncode == 0, init.stderr
    assert "Store ready" in init.stdout and (tmp_path / "bbws.sqlite3").exists()
    again = bbws("store", "init", data_dir=tmp_path)
    assert again.returncode == 0, again.stderr
    mail = bbws("mail", "list", data_dir=tmp_path)
    assert mail.returncode == 0, mail.stderr
    assert "subject" in mail.stdout


def test_bbws_data_dir_works_like_the_flag(tmp_path: Path) -> None:
    data = tmp_path / "from-env"
    result = bbws("token", "create", "--sub", "a", "--role", "ADMIN", env=clean_env(BBWS_DATA_DIR=str(data)))
    assert result.returncode == 0, result.stderr
    assert_jwt(last_word(result))
    assert (data / "signing-key.pem").exists()


# -- the server
@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@contextmanager
def serving(data_dir: Path) -> Iterator[Server]:
    port = free_port()
    log = data_dir.parent / f"serve-{port}.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [str(BBWS), "serve", "--port", str(port), "--data-dir", str(data_dir)],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=clean_env(),
        )
    server = Server(f"http://127.0.0.1:{port}", process, log)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            assert process.poll() is None, f"bbws serve exited early:\n{server.output()}"
            try:
                if httpx.get(f"{server.url}/healthz", timeout=1.0).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"no /healthz answer in {STARTUP_TIMEOUT} s:\n{server.output()}"
            time.sleep(0.05)
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def stop(server: Server) -> None:
    """SIGTERM, and the server is gone: it stops listening and the process ends."""
    server.process.send_signal(signal.SIGTERM)
    try:
        code = server.process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"bbws serve did not exit within {STOP_TIMEOUT} s of SIGTERM:\n{server.output()}")
    # uvicorn shuts down gracefully, then re-raises the signal it caught, so the status is -SIGTERM (or 0).
    assert code in (0, -signal.SIGTERM), f"exit status {code}:\n{server.output()}"
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{server.url}/healthz", timeout=1.0)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_serve_first_start_then_restart(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with serving(data) as server:
        token_file = data / "admin-token"
        assert token_file.exists()
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
        assert stat.S_IMODE((data / "signing-key.pem").stat().st_mode) == 0o600
        admin_token = token_file.read_text().strip()
        assert_jwt(admin_token)
        printed = server.output()
        assert server.url in printed and f"{server.url}/docs" in printed
        assert admin_token in printed, "the first start must print the admin token"
        assert httpx.get(f"{server.url}/docs", timeout=5).status_code == 200

        body = {"organizationName": rid("Cli"), "contactEmail": "ops@example.com"}
        created = httpx.post(f"{server.url}/v1.0/tenants", json=body, headers=bearer(admin_token), timeout=10)
        assert created.status_code == 201, created.text
        tenant_id = created.json()["tenantId"]

        minted = bbws(
            "token", "create", "--sub", rid("viewer"), "--tenant", tenant_id, "--role", "VIEWER", data_dir=data
        )
        assert minted.returncode == 0, minted.stderr
        viewer = last_word(minted)
        assert_jwt(viewer)
        assert "cognito:groups" not in claims_of(viewer)  # the tenant role is stored, not claimed
        url = f"{server.url}/v1.0/tenants/{tenant_id}"
        got = httpx.get(url, headers=bearer(viewer), timeout=10)
        assert got.status_code == 200 and got.json()["tenantId"] == tenant_id
        put = httpx.put(url, json={"tier": "ENTERPRISE"}, headers=bearer(viewer), timeout=10)
        assert put.status_code == 403 and put.json()["code"] == "FORBIDDEN"
        assert httpx.get(f"{server.url}/v1.0/tenants", timeout=10).status_code == 401

        stop(server)

    with serving(data) as again:
        printed = again.output()
        assert again.url in printed
        assert admin_token not in printed, "a restart must not print the admin token again"
        assert token_file.read_text().strip() == admin_token
        got = httpx.get(f"{again.url}/v1.0/tenants/{tenant_id}", headers=bearer(admin_token), timeout=10)
        assert got.status_code == 200 and got.json()["organizationName"] == body["organizationName"]
        stop(again)
