"""A webhook receiver for tests: a local HTTP server that verifies every Standard Webhooks
signature with the `standardwebhooks` package and keeps a copy of the articles it is sent."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


class Receiver:
    """Answers `status` (200 unless told otherwise); holds requests while `hanging` is set."""

    def __init__(self):
        self.secret: str | None = None
        self.status = 200
        self.hanging = threading.Event()
        self.released = threading.Event()
        self.delay = 0.0
        self.lock = threading.Lock()
        self.seqs: list[int] = []  # every change taken, in the order it arrived
        self.changes: dict[int, dict] = {}  # each change as sent, by seq
        self.copy: dict[str, dict] = {}  # the articles, as a /v1/changes reader keeps them
        self.bad_signatures = 0
        self.attempts = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.attempts += 1
                if receiver.hanging.is_set():
                    receiver.released.wait(60)
                    return
                time.sleep(receiver.delay)
                status = receiver.take(body, dict(self.headers.items()))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def take(self, body: bytes, headers: dict) -> int:
        try:
            change = Webhook(self.secret).verify(body, headers)
        except WebhookVerificationError:
            self.bad_signatures += 1
            return 400
        if self.status != 200:
            return self.status
        with self.lock:
            assert headers["webhook-id"] == f"change_{change['seq']}"
            self.seqs.append(change["seq"])
            self.changes[change["seq"]] = change
            if change["type"] == "upsert":
                self.copy[change["id"]] = change["article"]
            else:
                self.copy.pop(change["id"], None)
        return 200

    def close(self):
        self.released.set()
        self.server.shutdown()
        self.server.server_close()


def in_order(seqs: list[int]) -> bool:
    """Each seq after the last new one; a repeat of the one before is at-least-once."""
    return all(b >= a for a, b in zip(seqs, seqs[1:], strict=False))


def reader_copy(client) -> tuple[dict[str, dict], int]:
    """What a /v1/changes reader holds after following the stream from 0."""
    copy, since = {}, 0
    while True:
        page = client.get(f"/v1/changes?since={since}&limit=1000").get_json()
        for change in page["changes"]:
            if change["type"] == "upsert":
                copy[change["id"]] = change["article"]
            else:
                copy.pop(change["id"], None)
        if page["next_since"] == since:
            return copy, since
        since = page["next_since"]


def as_json(value) -> str:
    return json.dumps(value, sort_keys=True)
