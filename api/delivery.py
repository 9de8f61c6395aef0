"""`flask news deliver`: every change POSTed to every webhook, signed; WebSub hub pings.

One thread per hook, so a slow or hanging receiver (cut off after WEBHOOK_TIMEOUT) delays only
itself. A thread delivers while it holds the hook's lease (storage/webhooks.py), one change per
request, in seq order, moving the hook's position after each 2xx; a failure is retried after an
exponential backoff with jitter, and a hook failing for WEBHOOK_RETRY_FOR is disabled. Threads
wait for new changes on the store's head watch (storage/watch.py), so a change is sent within a
fraction of a second of its commit. Several processes may run: the leases keep each hook with
one of them at a time.
"""

from __future__ import annotations

import logging
import os
import random
import secrets
import socket
import threading
import time
from datetime import UTC, datetime

from flask import Flask
from standardwebhooks.webhooks import Webhook as Signer

from api import outbound, websub
from api.changes import change_json
from api.store import Store

log = logging.getLogger(__name__)
BATCH = 20  # changes sent per lease renewal
SCAN_INTERVAL = 1.0  # seconds between looks for new or re-enabled hooks


def backoff(failures: int, first: float, longest: float) -> float:
    """Seconds before the next attempt: doubling from `first`, at most `longest`, jittered
    down by up to half so that receivers coming back are not hit by every retry at once."""
    delay = min(longest, first * 2 ** min(failures - 1, 40))
    return delay * random.uniform(0.5, 1.0)


def signed_headers(secret: str, message_id: str, body: str) -> dict[str, str]:
    """Standard Webhooks headers: webhook-id, webhook-timestamp, webhook-signature."""
    now = datetime.now(UTC)
    return {
        "Content-Type": "application/json",
        "User-Agent": "Newswire-Webhooks/1",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Signer(secret).sign(message_id, now, body),
    }


class Delivery:
    """The delivery process: a thread per enabled hook, and the WebSub pinger."""

    def __init__(self, app: Flask, store: Store):
        config = app.config
        self.store = store
        self.base_url = config["PUBLIC_BASE_URL"] or "http://127.0.0.1:8000"
        self.timeout = config["WEBHOOK_TIMEOUT"]
        self.first_backoff = config["WEBHOOK_BACKOFF"]
        self.longest_backoff = config["WEBHOOK_BACKOFF_MAX"]
        self.retry_for = config["WEBHOOK_RETRY_FOR"]
        self.lease = config["WEBHOOK_LEASE"]
        self.allow_private = config["WEBHOOK_ALLOW_PRIVATE"]
        self.hub = config["WEBSUB_HUB"]
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self.stopping = threading.Event()
        self.threads: dict[str, threading.Thread] = {}

    def run(self) -> None:
        """Deliver until `stop()`: start a thread for every enabled hook that has none."""
        if self.hub:
            threading.Thread(target=self.ping_hub, name="websub", daemon=True).start()
        while not self.stopping.is_set():
            try:
                for hook_id in self.store.enabled_webhooks():
                    thread = self.threads.get(hook_id)
                    if thread is None or not thread.is_alive():
                        thread = threading.Thread(
                            target=self.serve, args=(hook_id,), name=hook_id, daemon=True
                        )
                        self.threads[hook_id] = thread
                        thread.start()
            except Exception:
                log.exception("could not read the webhooks; trying again")
            self.stopping.wait(SCAN_INTERVAL)
        for thread in self.threads.values():
            thread.join(timeout=self.timeout + 1)

    def stop(self) -> None:
        self.stopping.set()

    def serve(self, hook_id: str) -> None:
        """Deliver to one hook while it is enabled and this process holds its lease."""
        try:
            while not self.stopping.is_set() and self.deliver_some(hook_id):
                pass
        except Exception:
            log.exception("delivery to webhook %s failed; starting over", hook_id)
            self.stopping.wait(1.0)
        finally:
            self.store.release_webhook(hook_id, self.owner)

    def deliver_some(self, hook_id: str) -> bool:
        """One round: claim the lease, then send up to BATCH changes, or wait for some.
        False when the hook is gone, disabled, or held by another process."""
        hook = self.store.claim_webhook(hook_id, self.owner, self.lease)
        if hook is None:
            return False
        if hook.next_attempt_at is not None:
            wait = (hook.next_attempt_at - datetime.now(UTC)).total_seconds()
            if wait > 0:
                self.stopping.wait(min(wait, self.lease / 3))
                return True
        changes, _ = self.store.changes_since(hook.position, BATCH, self.base_url)
        if not changes:
            self.store.watch.wait_past(hook.position, min(self.lease / 3, 5.0))
            return True
        renew_by = time.monotonic() + self.lease / 2
        for change, article in changes:
            body = change_json(change, article)
            error = self.post(hook.url, hook.secret, f"change_{change['seq']}", body)
            if error is not None:
                retry_in = backoff(hook.failures + 1, self.first_backoff, self.longest_backoff)
                self.store.webhook_failed(hook_id, self.owner, error, retry_in, self.retry_for)
                log.warning("webhook %s: seq %s failed: %s", hook_id, change["seq"], error)
                return True
            if not self.store.webhook_delivered(hook_id, self.owner, change["seq"]):
                return True  # the lease moved on, or the hook was reset: claim afresh
            hook.failures = 0
            if self.stopping.is_set() or time.monotonic() > renew_by:
                break
        return True

    def post(self, url: str, secret: str, message_id: str, body: str) -> str | None:
        """Send one signed change; None when the receiver took it (2xx), else what went wrong."""
        headers = signed_headers(secret, message_id, body)
        try:
            status = outbound.post(url, body.encode(), headers, self.timeout, self.allow_private)
        except outbound.Refused as exc:
            return f"refused: {exc}"
        except OSError as exc:
            return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        return None if 200 <= status < 300 else f"HTTP {status}"

    def ping_hub(self) -> None:
        """Tell the WebSub hub which feeds changed, for every change from now on."""
        position = None
        while not self.stopping.is_set():
            try:
                if position is None:
                    position = self.store.head().seq
                if not self.store.watch.wait_past(position, 5.0):
                    continue
                changes, next_since = self.store.changes_since(position, 1000, self.base_url)
                topics = websub.topics(self.store, changes, self.base_url)
                failures = 0
                for topic in sorted(topics):
                    while not websub.ping(self.hub, topic, self.timeout):
                        failures += 1
                        if failures > 5 or self.stopping.is_set():
                            break
                        self.stopping.wait(backoff(failures, 1.0, 30.0))
                position = next_since
            except Exception:
                log.exception("pinging the WebSub hub failed; trying again")
                self.stopping.wait(1.0)
