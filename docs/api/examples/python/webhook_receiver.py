"""Receive BBWS webhooks: check each delivery's signature, skip repeated deliveries, print the event."""

import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from bbws.client import WebhookVerificationError, verify_webhook

SECRET = os.environ.get("BBWS_WEBHOOK_SECRET") or sys.exit("Set BBWS_WEBHOOK_SECRET to the endpoint's whsec_ secret.")
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 8000

# Deliveries come at least once: remember the ids handled (a real receiver keeps them in its database).
seen: set[str] = set()
seen_lock = threading.Lock()
# Deliveries are handled in parallel threads: one line at a time, or two lines can run into one.
say_lock = threading.Lock()


def say(line: str) -> None:
    with say_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def handle(event: dict) -> None:
    """The receiver's own work; keep it short (or queue it), BBWS waits 10 s for the answer."""
    say(f"verified {event['id']} {event['type']} {event['subject']}")


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))  # the exact bytes that were signed
        try:
            event = verify_webhook(SECRET, dict(self.headers), body)
        except WebhookVerificationError as exc:
            say(f"rejected: {exc}")
            self.answer(401)
            return
        with seen_lock:
            repeated = event["id"] in seen
            seen.add(event["id"])
        if repeated:
            say(f"repeated {event['id']} {event['type']}")
        else:
            handle(event)
        self.answer(204)

    def answer(self, status: int) -> None:
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass  # no access log: the lines above say what happened


def main() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", PORT), Receiver)
    print(f"listening on http://127.0.0.1:{server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
