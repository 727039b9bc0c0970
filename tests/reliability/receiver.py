"""A webhook receiver on a free loopback port: it checks every delivery's signature as a tenant's receiver would."""

from __future__ import annotations

import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from bbws.client import WebhookVerificationError, verify_webhook


class WebhookReceiver:
    """One path per endpoint (`/hooks/{tenantId}`), each verified with that endpoint's secret. Valid deliveries
    answer 204 and are counted by `webhook-id`; invalid ones answer 400 and are kept in `rejected`."""

    def __init__(self) -> None:
        self.secrets: dict[str, str] = {}
        self.delivered: Counter[str] = Counter()
        self.envelopes: dict[str, tuple[str, dict[str, Any]]] = {}  # webhook-id -> (path, event)
        self.rejected: list[str] = []
        self.cut_short = 0  # requests whose sender died mid-body: never verified, never acknowledged
        self.sample: tuple[str, dict[str, str], bytes] | None = None  # one valid delivery as received
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, name="webhook-receiver", daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def __enter__(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(10)

    def receive(self, path: str, headers: dict[str, str], body: bytes) -> int:
        secret = self.secrets.get(path)
        try:
            if secret is None:
                raise WebhookVerificationError(f"no endpoint at {path}")
            event = verify_webhook(secret, headers, body)
        except WebhookVerificationError as exc:
            with self.lock:
                self.rejected.append(f"{path} {headers.get('webhook-id')}: {exc}")
            return 400
        with self.lock:
            webhook_id = headers["webhook-id"]
            self.delivered[webhook_id] += 1
            self.envelopes[webhook_id] = (path, event)
            self.sample = self.sample or (path, headers, body)
        return 204


def _handler(receiver: WebhookReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length)
            if len(body) < length:  # the sender was killed while sending: nothing to verify, nobody to answer
                with receiver.lock:
                    receiver.cut_short += 1
                return
            headers = {k.lower(): v for k, v in self.headers.items()}
            self.send_response(receiver.receive(self.path, headers, body))
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the test reports what matters

    return Handler
