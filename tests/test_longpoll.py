"""Long-poll on /v1/changes: `wait=` holds a request until a change commits, on any instance."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from api import create_app


def in_background(function, *args):
    """Run `function` in a thread; the returned callable joins it and gives its result."""
    result = {}
    thread = threading.Thread(target=lambda: result.update(value=function(*args)))
    thread.start()

    def join(timeout=30):
        thread.join(timeout)
        assert not thread.is_alive(), "the long-poll never answered"
        return result["value"]

    return join


def head(client) -> int:
    return client.get("/v1/changes?since=0&limit=1000").get_json()["next_since"]


@pytest.fixture
def other_instance(app):
    """A second app on the same database, as another server would be."""
    other = create_app({**app.config, "TESTING": True})
    yield other
    other.extensions["store"].close()


def test_with_changes_waiting_answers_at_once(client, create):
    article = create()
    started = time.monotonic()
    response = client.get("/v1/changes?since=0&wait=30")
    assert time.monotonic() - started < 10
    assert response.status_code == 200
    assert [c["id"] for c in response.get_json()["changes"]] == [article["id"]]


def test_a_long_poll_asks_a_proxy_not_to_buffer_it(client, create):
    """nginx passes an answer marked `X-Accel-Buffering: no` on as it comes (deploy/nginx.conf
    relies on it for long-polls); other pages may be buffered and cached as usual."""
    create()
    since = head(client)
    assert client.get(f"/v1/changes?since={since}&wait=1").headers["X-Accel-Buffering"] == "no"
    assert client.get("/v1/changes?since=0&wait=5").headers["X-Accel-Buffering"] == "no"
    assert "X-Accel-Buffering" not in client.get(f"/v1/changes?since={since}").headers


def test_a_wait_spelled_with_escapes_is_a_long_poll_too(client, create):
    """The view reads `%77ait=1` as `wait=1`, and so does the long-poll: nginx, which cannot
    tell them apart, must not store the answer (a cache keeping the empty page would answer
    the next waiter at once), so no long-poll's answer is for shared caches."""
    create()
    since = head(client)
    for query in (f"since={since}&%77ait=1", f"since={since}&wait=1", "since=0&wait=1"):
        response = client.get(f"/v1/changes?{query}")
        assert response.headers["X-Accel-Buffering"] == "no", query
        assert response.headers["Cache-Control"] == "no-cache", query
        assert "X-Accel-Expires" not in response.headers, query
    assert client.get("/v1/changes?since=0").headers["Cache-Control"].startswith("public")


def test_no_change_answers_an_empty_page_when_the_wait_runs_out(client, create):
    create()
    since = head(client)
    started = time.monotonic()
    response = client.get(f"/v1/changes?since={since}&wait=1")
    assert time.monotonic() - started >= 0.9
    assert response.status_code == 200
    assert response.get_json() == {"changes": [], "next_since": since}
    assert response.headers["ETag"]
    # the empty page is not cached: the same request waits again instead of answering at once
    started = time.monotonic()
    assert client.get(f"/v1/changes?since={since}&wait=1").get_json()["changes"] == []
    assert time.monotonic() - started >= 0.9


def test_a_write_through_another_instance_wakes_the_waiter(
    app, client, other_instance, auth, article_data
):
    # on PostgreSQL only NOTIFY can wake it in time: the watcher's own look comes after 60 s
    app.extensions["store"].watch.recheck = 60
    since = head(client)
    waiting = in_background(client.get, f"/v1/changes?since={since}&wait=30")
    time.sleep(0.5)  # the request is waiting by now
    written = other_instance.test_client().post("/v1/articles", json=article_data, headers=auth)
    assert written.status_code == 201
    started = time.monotonic()
    response = waiting()
    assert time.monotonic() - started < 20  # woken by the write, not by the end of the wait
    page = response.get_json()
    assert [c["id"] for c in page["changes"]] == [written.get_json()["id"]]
    assert page["next_since"] > since
    # what a waiter got is what everyone gets for that request now
    assert client.get(f"/v1/changes?since={since}&wait=30").get_json() == page


def test_many_waiters_wake_on_one_write(client, other_instance, auth, article_data):
    since = head(client)
    with ThreadPoolExecutor(8) as pool:
        waiting = [pool.submit(client.get, f"/v1/changes?since={since}&wait=30") for _ in range(8)]
        time.sleep(0.5)
        other_instance.test_client().post("/v1/articles", json=article_data, headers=auth)
        pages = [f.result(timeout=30).get_json() for f in waiting]
    assert all(len(page["changes"]) == 1 for page in pages)


def test_a_scheduled_article_wakes_waiters_at_its_instant(client, create):
    due = datetime.now(UTC) + timedelta(seconds=1.5)
    article = create(published_at=due.isoformat())
    since = head(client)
    response = client.get(f"/v1/changes?since={since}&wait=20")
    assert datetime.now(UTC) >= due
    changes = response.get_json()["changes"]
    assert [(c["id"], c["type"]) for c in changes] == [(article["id"], "upsert")]


@pytest.mark.parametrize("wait", ["61", "-1", "soon"])
def test_an_invalid_wait_is_a_400_naming_it(client, wait):
    response = client.get(f"/v1/changes?wait={wait}")
    assert response.status_code == 400
    assert response.content_type == "application/problem+json"
    assert "wait" in response.get_json()["errors"]


def fetch(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=60) as response:
        return response.status, response.read()


def test_one_gevent_worker_holds_many_waiters_and_still_serves(
    gunicorn, client, auth, article_data
):
    gevent_server = gunicorn("--workers", "1")  # deploy/gunicorn.conf.py, as `make run`
    since = head(client)
    with ThreadPoolExecutor(50) as pool:
        waiting = [
            pool.submit(fetch, f"{gevent_server}/v1/changes?since={since}&wait=30")
            for _ in range(50)
        ]
        time.sleep(1.0)
        # the one worker still answers other requests while 50 wait in it
        assert fetch(f"{gevent_server}/v1/articles")[0] == 200
        assert not any(f.done() for f in waiting)
        written = client.post("/v1/articles", json=article_data, headers=auth).get_json()
        pages = [json.loads(f.result(timeout=30)[1]) for f in waiting]
    assert all([c["id"] for c in page["changes"]] == [written["id"]] for page in pages)
