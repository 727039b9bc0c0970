"""The two servers the api benchmark loads: ours, and a bare FastAPI app reading the same SQLite row.

Run as `python -m bench.servers ours|bare [--workers N]`: binds a free loopback port, prints it on the first
line of stdout, then serves with uvicorn under the same settings for both (`log_level=warning`, no access log).
Ours reads its settings from `BBWS_*`; the bare app reads the SQLite file named by `BENCH_SQLITE_PATH`.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sqlite3
import threading
from collections.abc import Sequence

import uvicorn
from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response
from uvicorn.supervisors import Multiprocess

SQLITE_PATH_ENV = "BENCH_SQLITE_PATH"


def ours() -> FastAPI:
    from bbws.app import create_app
    from bbws.core.settings import Settings

    return create_app(Settings())


def bare() -> FastAPI:
    """The least a FastAPI app does to serve the tenant: one indexed read, parse, answer."""
    path = os.environ[SQLITE_PATH_ENV]
    local = threading.local()

    def conn() -> sqlite3.Connection:
        # One connection per thread, as sqlite3 wants and as the store adapter does.
        made: sqlite3.Connection | None = getattr(local, "conn", None)
        if made is None:
            made = local.conn = sqlite3.connect(path, isolation_level=None)
            made.execute("PRAGMA journal_mode=WAL")
        return made

    app = FastAPI()

    @app.get("/v1.0/tenants/{tenantId}")
    def get_tenant(tenantId: str) -> Response:
        key = (f"TENANT#{tenantId}", "METADATA")
        row = conn().execute("SELECT data FROM items WHERE pk=? AND sk=?", key).fetchone()
        if row is None:
            return JSONResponse({"detail": "not found"}, status_code=404)
        return JSONResponse(json.loads(row[0]))

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def serve(name: str, workers: int) -> None:
    # IPPROTO_TCP spelled out: asyncio sets TCP_NODELAY only on sockets whose proto says TCP, and without it
    # every keep-alive answer written in two parts waits out the client's delayed ACK (about 40 ms).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))  # the OS picks a free port; no race with other runs
    print(sock.getsockname()[1], flush=True)
    config = uvicorn.Config(
        f"bench.servers:{name}", factory=True, workers=workers, log_level="warning", access_log=False
    )
    server = uvicorn.Server(config)
    if workers > 1:
        Multiprocess(config, sockets=[sock]).run()
    else:
        server.run(sockets=[sock])


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.servers")
    parser.add_argument("name", choices=["ours", "bare"])
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    serve(args.name, args.workers)


if __name__ == "__main__":
    main()
