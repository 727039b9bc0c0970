"""`bbws serve` as a real process on its own data dir, killed with SIGKILL (alone or with every process it
started) and started again on the same data dir; plus the HTTP calls the kill tests make against it."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.integration.runtime.helpers import port_block

BBWS = Path(sys.executable).parent / "bbws"
STARTUP_TIMEOUT = 90.0
FINISHED = {"COMPLETED", "FAILED", "CANCELLED"}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def children(pid: int) -> list[int]:
    """Every descendant of `pid` now (through each thread's children list)."""
    found: list[int] = []
    todo = [pid]
    while todo:
        parent = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{parent}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                kids = Path(f"/proc/{parent}/task/{task}/children").read_text().split()
            except OSError:
                continue
            for kid in map(int, kids):
                if kid not in found:
                    found.append(kid)
                    todo.append(kid)
    return found


def gone(pid: int) -> bool:
    """No such process, or only its zombie (it runs no more code)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def signal_quietly(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)


def sigkill(pid: int) -> None:
    signal_quietly(pid, signal.SIGKILL)


def wait_gone(pids: list[int], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not all(gone(p) for p in pids):
        assert time.monotonic() < deadline, f"processes {[p for p in pids if not gone(p)]} survived SIGKILL"
        time.sleep(0.02)


@dataclass
class Platform:
    """One data dir; `start()` runs `bbws serve` on it (again and again, always on the same ports)."""

    data: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    mariadb_port: int = field(default_factory=free_port)
    instance_ports: range = field(default_factory=lambda: port_block(100))
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.data.parent / "serve.log"

    @property
    def runtime(self) -> Path:
        return self.data / "runtime"

    @property
    def token(self) -> str:
        return (self.data / "admin-token").read_text().strip()

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("BBWS_")}
        env.update(
            BBWS_JOB_HEARTBEAT_SECONDS="1",
            BBWS_INSTANCE_PORTS=f"{self.instance_ports.start}-{self.instance_ports.stop - 1}",
            BBWS_MARIADB_PORT=str(self.mariadb_port),
            BBWS_LOG_LEVEL="WARNING",
        )
        return {**env, **self.extra_env}

    def start(self) -> float:
        """Run `bbws serve`; returns the monotonic time it first answered /healthz."""
        assert self.process is None or self.process.poll() is not None
        self.data.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as sink:
            sink.write(f"\n--- start {self.starts + 1}\n".encode())
            sink.flush()
            self.process = subprocess.Popen(
                [str(BBWS), "serve", "--port", str(self.port), "--data-dir", str(self.data)],
                stdout=sink,
                stderr=subprocess.STDOUT,
                env=self.env(),
            )
        self.starts += 1
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            assert self.process.poll() is None, f"bbws serve exited early:\n{self.tail()}"
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1.0, trust_env=False).status_code == 200:
                    return time.monotonic()
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"no /healthz answer in {STARTUP_TIMEOUT} s:\n{self.tail()}"
            time.sleep(0.05)

    def runtime_pids(self) -> list[int]:
        """The runtime's servers as its state files name them (MariaDB, each instance's PHP group leader), when
        that process still runs on this data dir: a pid file may name a process that is long gone."""
        files = [self.runtime / "mariadb" / "server.json", *(self.runtime / "instances").glob("*/run/php.pid")]
        pids = []
        for path in files:
            try:
                text = path.read_text().strip()
                pids.append(int(json.loads(text)["pid"]) if text.startswith("{") else int(text))
            except (OSError, ValueError, KeyError, TypeError):
                continue
        return [p for p in pids if not gone(p) and str(self.data) in cmdline(p)]

    def kill(self, *, tree: bool) -> None:
        """SIGKILL `bbws serve`; with `tree`, every process it started too. The PHP groups and MariaDB run in
        sessions of their own, and those an earlier (killed) serve started are no longer its children: they are
        found by the runtime's pid files, never by name. Each process is stopped before its children are listed,
        so none can start one that escapes."""
        assert self.process is not None
        victims: list[int] = []
        todo = [self.process.pid, *(self.runtime_pids() if tree else [])]
        while todo:
            for pid in todo:
                signal_quietly(pid, signal.SIGSTOP if tree else signal.SIGKILL)
            victims += todo
            todo = [kid for pid in victims for kid in children(pid) if kid not in victims] if tree else []
        for pid in victims:
            signal_quietly(pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        wait_gone(victims)

    def stop(self) -> None:
        """SIGTERM: serve stops the runtime it started (what a control-plane kill left running is killed)."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for pid in self.runtime_pids():
            for kid in children(pid):
                sigkill(kid)
            sigkill(pid)

    def tail(self, lines: int = 60) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    # -- HTTP ----------------------------------------------------------------------------------------------------
    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        return httpx.request(method, self.url + path, headers=headers, timeout=30, trust_env=False, **kwargs)

    def get(self, path: str) -> dict[str, Any]:
        response = self.call("GET", path)
        assert response.status_code == 200, f"GET {path}: {response.status_code} {response.text}"
        return dict(response.json())

    def post(self, path: str, body: dict[str, Any] | None = None, expect: int = 202) -> dict[str, Any]:
        response = self.call("POST", path, json=body or {})
        assert response.status_code == expect, f"POST {path}: {response.status_code} {response.text}"
        return dict(response.json())

    def delete(self, path: str) -> dict[str, Any]:
        response = self.call("DELETE", path)
        assert response.status_code == 202, f"DELETE {path}: {response.status_code} {response.text}"
        return dict(response.json())

    def operation(self, op: dict[str, Any]) -> dict[str, Any]:
        return self.get(f"/v1.0/operations/{op['operationId']}")

    def wait(self, op: dict[str, Any], *, until: set[str] = FINISHED, timeout: float = 180.0) -> dict[str, Any]:
        """The operation once its status is one of `until`."""
        deadline = time.monotonic() + timeout
        while True:
            now = self.operation(op)
            if now["status"] in until:
                return now
            assert time.monotonic() < deadline, f"operation {op['operationId']} is {now['status']}:\n{self.tail()}"
            time.sleep(0.05)

    def finish(self, op: dict[str, Any], timeout: float = 180.0) -> dict[str, Any]:
        """The operation, which must complete."""
        done = self.wait(op, timeout=timeout)
        assert done["status"] == "COMPLETED", f"{done}\n{self.tail()}"
        return done
