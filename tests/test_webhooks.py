"""Webhooks: registration, signed delivery in order, retries, crashes, and the address rule."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from standardwebhooks.webhooks import Webhook

from api import outbound
from api.delivery import Delivery
from tests.webhook_receiver import Receiver, in_order, reader_copy

ROOT = Path(__file__).resolve().parent.parent
FAST = {  # short timeouts and backoff, so the suite stays quick
    "WEBHOOK_ALLOW_PRIVATE": True,
    "WEBHOOK_TIMEOUT": 2.0,
    "WEBHOOK_BACKOFF": 0.05,
    "WEBHOOK_BACKOFF_MAX": 0.2,
    "WEBHOOK_LEASE": 3.0,
    "PUBLIC_BASE_URL": "http://news.test",
}


@pytest.fixture
def hook_app(app):
    app.config.update(FAST)
    return app


@pytest.fixture
def receiver():
    receivers = []

    def start() -> Receiver:
        receivers.append(Receiver())
        return receivers[-1]

    yield start
    for r in receivers:
        r.close()


@pytest.fixture
def delivery(hook_app):
    """Start the delivery process's loop in a thread of the test (`flask news deliver`)."""
    running = []

    def start() -> Delivery:
        process = Delivery(hook_app, hook_app.extensions["store"])
        thread = threading.Thread(target=process.run, daemon=True)
        thread.start()
        running.append((process, thread))
        return process

    yield start
    for process, thread in running:
        process.stop()
        thread.join(timeout=10)


def register(client, auth, receiver: Receiver, **fields) -> dict:
    response = client.post("/v1/webhooks", json={"url": receiver.url, **fields}, headers=auth)
    assert response.status_code == 201, response.get_json()
    hook = response.get_json()
    receiver.secret = hook["secret"]
    return hook


def eventually(condition, timeout: float = 30.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def hook_state(client, auth, hook_id: str) -> dict:
    return client.get(f"/v1/webhooks/{hook_id}", headers=auth).get_json()


def write_some(client, auth, article_data, prefix: str, count: int) -> None:
    """Create, edit and delete articles: upserts and deletes in the stream."""
    for n in range(count):
        created = client.post(
            "/v1/articles", json={**article_data, "headline": f"{prefix} {n}"}, headers=auth
        )
        assert created.status_code == 201
        article = created.get_json()
        etag = created.headers["ETag"]
        if n % 3 == 1:
            edited = client.patch(
                f"/v1/articles/{article['id']}",
                json={"lead": f"Neu: {prefix} {n}."},
                headers={**auth, "If-Match": etag},
            )
            assert edited.status_code == 200
        elif n % 3 == 2:
            deleted = client.delete(
                f"/v1/articles/{article['id']}", headers={**auth, "If-Match": etag}
            )
            assert deleted.status_code == 204


# --- the API -------------------------------------------------------------------------------


def test_register_list_reenable_and_delete(hook_app, client, auth, receiver):
    target = receiver()
    response = client.post(
        "/v1/webhooks", json={"url": target.url, "description": "Partner-Archiv"}, headers=auth
    )
    assert response.status_code == 201
    hook = response.get_json()
    assert response.headers["Location"] == f"http://news.test/v1/webhooks/{hook['id']}"
    assert hook["secret"].startswith("whsec_")
    Webhook(hook["secret"])  # a secret the specification's own library takes
    assert hook["enabled"] is True and hook["failures"] == 0
    listed = client.get("/v1/webhooks", headers=auth)
    assert listed.status_code == 200
    [shown] = listed.get_json()["webhooks"]
    assert shown["id"] == hook["id"] and shown["description"] == "Partner-Archiv"
    assert "secret" not in shown  # shown once, at registration
    assert {"position", "last_success_at", "last_error", "failures", "enabled"} <= set(shown)

    disabled = client.patch(
        f"/v1/webhooks/{hook['id']}", json={"enabled": False}, headers=auth
    ).get_json()
    assert disabled["enabled"] is False and disabled["disabled_reason"]
    enabled = client.patch(f"/v1/webhooks/{hook['id']}", json={"enabled": True}, headers=auth)
    assert enabled.status_code == 200
    assert enabled.get_json()["enabled"] is True
    assert enabled.get_json()["disabled_reason"] is None

    assert client.delete(f"/v1/webhooks/{hook['id']}", headers=auth).status_code == 204
    assert client.get(f"/v1/webhooks/{hook['id']}", headers=auth).status_code == 404
    assert client.delete(f"/v1/webhooks/{hook['id']}", headers=auth).status_code == 404


@pytest.mark.parametrize("hook_id", ["a%00b", "%00", "x" * 300])
def test_an_id_no_hook_can_have_is_404(client, auth, hook_id):
    """On PostgreSQL a NUL in the id was a 500 (text cannot hold it)."""
    url = f"/v1/webhooks/{hook_id}"
    for response in (
        client.get(url, headers=auth),
        client.patch(url, json={"enabled": True}, headers=auth),
        client.delete(url, headers=auth),
    ):
        assert response.status_code == 404
        assert response.content_type == "application/problem+json"


def test_webhooks_need_a_token(client):
    assert client.get("/v1/webhooks").status_code == 401
    response = client.post("/v1/webhooks", json={"url": "https://example.org/hook"})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://172.16.0.1/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
        "HTTP://0",  # 0.0.0.0 too, and a scheme in capitals is still http
    ],
)
def test_a_private_address_is_refused(client, auth, url):
    response = client.post("/v1/webhooks", json={"url": url}, headers=auth)
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    assert "not a public address" in response.get_json()["errors"]["url"][0]


@pytest.mark.parametrize("url", ["ftp://example.org/hook", "example.org/hook", ""])
def test_only_http_urls_are_taken(client, auth, url):
    response = client.post("/v1/webhooks", json={"url": url}, headers=auth)
    assert response.status_code == 422
    assert "url" in response.get_json()["errors"]


@pytest.mark.parametrize("since", ["5", 5.5, True, None, [5]])
def test_since_is_a_json_integer(client, auth, since):
    """As the document's `integer`: no string of digits, fraction or boolean read as one."""
    response = client.post(
        "/v1/webhooks", json={"url": "https://1.1.1.1/hook", "since": since}, headers=auth
    )
    assert response.status_code == 422
    assert "since" in response.get_json()["errors"]


def test_since_may_be_written_as_a_whole_float(client, auth):
    response = client.post(
        "/v1/webhooks", json={"url": "https://1.1.1.1/hook", "since": 5.0}, headers=auth
    )
    assert response.status_code == 201
    assert response.get_json()["position"] == 5


@pytest.mark.parametrize("enabled", [0, 1, "true", "yes", None])
def test_enabled_is_a_json_boolean(client, auth, enabled):
    """As the document's `boolean`: 0, 1 and "yes" are not true or false."""
    hook = client.post("/v1/webhooks", json={"url": "https://1.1.1.1/hook"}, headers=auth)
    response = client.patch(
        f"/v1/webhooks/{hook.get_json()['id']}", json={"enabled": enabled}, headers=auth
    )
    assert response.status_code == 422
    assert "enabled" in response.get_json()["errors"]


def test_since_beyond_the_head_is_kept_and_nothing_before_it_is_sent(
    hook_app, client, auth, article_data, receiver, delivery
):
    """As documented: the changes after `since`, however far ahead of the head it is."""
    ahead, everything = receiver(), receiver()
    far = register(client, auth, ahead, since=2**63 - 2)
    assert far["position"] == 2**63 - 2
    assert hook_state(client, auth, far["id"])["position"] == 2**63 - 2
    assert client.post("/v1/articles", json=article_data, headers=auth).status_code == 201
    hook = register(client, auth, everything, since=0)
    delivery()
    _, head = reader_copy(client)
    eventually(lambda: hook_state(client, auth, hook["id"])["position"] == head, what="delivery")
    assert ahead.seqs == []
    state = hook_state(client, auth, far["id"])
    assert state["position"] == 2**63 - 2 and state["failures"] == 0 and state["enabled"]


def test_delivery_checks_the_address_again():
    """A host that resolves to a private address later is refused at sending time too."""
    with pytest.raises(outbound.Refused):
        outbound.post("http://127.0.0.1:9/hook", b"{}", {}, 1.0, allow_private=False)


# --- delivery ------------------------------------------------------------------------------


def test_four_writers_reach_the_receiver_signed_and_in_order(
    hook_app, client, auth, article_data, receiver, delivery
):
    target = receiver()
    hook = register(client, auth, target, since=0)
    delivery()
    writers = [
        threading.Thread(target=write_some, args=(client, auth, article_data, f"W{n}", 9))
        for n in range(4)
    ]
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join()
    expected, head = reader_copy(client)
    eventually(lambda: hook_state(client, auth, hook["id"])["position"] == head, what="delivery")
    assert target.bad_signatures == 0
    assert in_order(target.seqs)
    assert target.copy == expected
    assert len(expected) == 4 * 6  # 9 each, a third deleted
    # each change is sent as the very object /v1/changes serves for it
    for change in client.get("/v1/changes?since=0&limit=1000").get_json()["changes"]:
        assert target.changes[change["seq"]] == change
    assert hook_state(client, auth, hook["id"])["last_success_at"] is not None


def test_a_receiver_down_for_a_while_gets_everything_in_order(
    hook_app, client, auth, article_data, receiver, delivery
):
    target = receiver()
    target.status = 503
    hook = register(client, auth, target)
    delivery()
    write_some(client, auth, article_data, "Ausfall", 6)
    eventually(lambda: hook_state(client, auth, hook["id"])["failures"] >= 3, what="retries")
    state = hook_state(client, auth, hook["id"])
    assert state["last_error"] == "HTTP 503" and state["enabled"] is True
    assert target.seqs == []
    target.status = 200  # back up
    expected, head = reader_copy(client)
    eventually(lambda: hook_state(client, auth, hook["id"])["position"] == head, what="catch-up")
    assert in_order(target.seqs) and target.copy == expected
    assert hook_state(client, auth, hook["id"])["failures"] == 0


def test_a_hook_failing_too_long_is_disabled_and_can_be_enabled_again(
    hook_app, client, auth, article_data, receiver, delivery
):
    hook_app.config["WEBHOOK_RETRY_FOR"] = 0.5
    target = receiver()
    target.status = 500
    hook = register(client, auth, target)
    delivery()
    write_some(client, auth, article_data, "Dauerfehler", 2)
    eventually(lambda: not hook_state(client, auth, hook["id"])["enabled"], what="disabling")
    state = hook_state(client, auth, hook["id"])
    assert "HTTP 500" in state["disabled_reason"] and state["failures"] >= 2
    target.status = 200
    client.patch(f"/v1/webhooks/{hook['id']}", json={"enabled": True}, headers=auth)
    expected, head = reader_copy(client)
    eventually(lambda: hook_state(client, auth, hook["id"])["position"] == head, what="resume")
    assert target.copy == expected


def test_a_hanging_receiver_does_not_delay_another_hook(
    hook_app, client, auth, article_data, receiver, delivery
):
    hook_app.config["WEBHOOK_TIMEOUT"] = 8.0
    hanging, healthy = receiver(), receiver()
    hanging.hanging.set()
    stuck = register(client, auth, hanging, since=0)
    delivery()
    write_some(client, auth, article_data, "Parallel", 1)
    eventually(lambda: hanging.attempts == 1, what="the hanging request")
    fine = register(client, auth, healthy, since=0)
    write_some(client, auth, article_data, "Parallel", 3)
    expected, head = reader_copy(client)
    eventually(lambda: hook_state(client, auth, fine["id"])["position"] == head, what="delivery")
    assert healthy.copy == expected
    # all the while the other hook's first request hangs, not yet cut off
    assert hanging.attempts == 1
    assert hook_state(client, auth, stuck["id"])["last_error"] is None
    eventually(
        lambda: hook_state(client, auth, stuck["id"])["last_error"] is not None,
        what="the timeout",
    )
    assert "timed out" in hook_state(client, auth, stuck["id"])["last_error"]
    hanging.hanging.clear()
    hanging.released.set()


def start_deliver_process(database_url: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "PUBLIC_BASE_URL": FAST["PUBLIC_BASE_URL"],
        "WEBHOOK_ALLOW_PRIVATE": "1",
        "WEBHOOK_TIMEOUT": "2",
        "WEBHOOK_BACKOFF": "0.05",
        "WEBHOOK_BACKOFF_MAX": "0.2",
        "WEBHOOK_LEASE": "2",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "news", "deliver"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_kill_9_of_the_delivery_process_loses_nothing(
    hook_app, client, auth, article_data, receiver, database_url
):
    target = receiver()
    target.delay = 0.05  # slow enough to kill the process mid-run
    hook = register(client, auth, target)
    write_some(client, auth, article_data, "Absturz", 18)
    expected, head = reader_copy(client)
    process = start_deliver_process(database_url)
    try:
        eventually(lambda: len(target.seqs) >= 5, what="the first deliveries")
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        taken = len(target.seqs)
        assert hook_state(client, auth, hook["id"])["position"] < head  # mid-run
        process = start_deliver_process(database_url)  # takes over once the lease runs out
        eventually(lambda: hook_state(client, auth, hook["id"])["position"] == head, what="resume")
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert len(target.seqs) > taken
    assert in_order(target.seqs)  # at most the change in flight twice
    stream = client.get("/v1/changes?since=0&limit=1000").get_json()["changes"]
    assert set(target.seqs) == {change["seq"] for change in stream}
    assert target.copy == expected


# --- WebSub ------------------------------------------------------------------------------


@pytest.fixture
def hub():
    """A stub hub that records every publish ping (hub.mode, hub.url)."""
    pings: list[tuple[str, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            form = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
            assert self.headers["Content-Type"] == "application/x-www-form-urlencoded"
            pings.append((form["hub.mode"][0], form["hub.url"][0]))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", pings
    server.shutdown()
    server.server_close()


def test_the_delivery_process_pings_the_hub_for_each_affected_feed(
    hook_app, client, auth, article_data, delivery, hub
):
    url, pings = hub
    hook_app.config["WEBSUB_HUB"] = url
    delivery()
    eventually(lambda: hook_app.extensions["store"].watch.waiters > 0, what="the pinger")
    base = hook_app.config["PUBLIC_BASE_URL"]
    created = client.post("/v1/articles", json={**article_data, "section": "sport"}, headers=auth)
    feeds = {f"{base}/feeds/{name}" for name in ("rss.xml", "atom.xml", "feed.json")}
    expected = feeds | {f + "?section=sport" for f in feeds}
    eventually(lambda: {topic for _, topic in pings} == expected, what="the pings")
    assert {mode for mode, _ in pings} == {"publish"}
    pings.clear()
    deleted = client.delete(
        f"/v1/articles/{created.get_json()['id']}",
        headers={**auth, "If-Match": created.headers["ETag"]},
    )
    assert deleted.status_code == 204
    eventually(lambda: {topic for _, topic in pings} == expected, what="the pings of a delete")
