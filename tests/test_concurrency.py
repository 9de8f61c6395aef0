"""Several gunicorn workers, several writers, one consumer: the stream never loses an update.

Runs against real gunicorn processes on the test database (SQLite file or PostgreSQL), so the
writes really are concurrent: on PostgreSQL, transactions that would hand out sequence numbers
out of commit order; on SQLite, several processes contending for the one write lock.
"""

from __future__ import annotations

import json
import random
import threading
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest

from api import create_app


@pytest.fixture
def server(gunicorn, token):
    """gunicorn with three workers on the test database, as `make run` starts it."""
    return gunicorn("--workers", "3")


def call(base, method, path, token=None, body=None, headers=None):
    request = urllib.request.Request(base + path, method=method)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    if body is not None:
        request.data = json.dumps(body).encode()
        request.add_header("Content-Type", "application/json")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            data = response.read()
            return response.status, dict(response.headers), json.loads(data) if data else None
    except urllib.error.HTTPError as error:
        data = error.read()
        return error.code, dict(error.headers), json.loads(data) if data else None


def writer(base, token, number, errors):
    """Create, edit, publish, unpublish, schedule and delete articles of its own."""
    rng = random.Random(number)
    mine: list[str] = []
    for step in range(24):
        try:
            op = rng.choice(["create", "create", "edit", "toggle", "schedule", "delete"])
            if op == "create" or not mine:
                status, _, body = call(
                    base,
                    "POST",
                    "/v1/articles",
                    token,
                    {
                        "headline": f"Schreiber {number} Meldung {step}",
                        "lead": "Vorspann.",
                        "body_text": "Absatz.",
                        "status": rng.choice(["published", "published", "draft"]),
                    },
                )
                assert status == 201, body
                mine.append(body["id"])
                continue
            article_id = rng.choice(mine)
            status, headers, current = call(base, "GET", f"/v1/articles/{article_id}", token)
            assert status == 200, current
            if_match = {"If-Match": headers["ETag"]}
            if op == "delete":
                status, _, body = call(
                    base, "DELETE", f"/v1/articles/{article_id}", token, headers=if_match
                )
                assert status == 204, body
                mine.remove(article_id)
                continue
            patch = {
                "edit": {"lead": f"Geändert in Schritt {step}."},
                "toggle": {"status": "draft" if current["status"] == "published" else "published"},
                "schedule": {
                    "status": "published",
                    "published_at": (
                        datetime.now(UTC) + timedelta(seconds=rng.uniform(0.2, 2))
                    ).isoformat(),
                },
            }[op]
            status, _, body = call(
                base, "PATCH", f"/v1/articles/{article_id}", token, patch, headers=if_match
            )
            assert status == 200, body
        except Exception as exc:  # noqa: BLE001 - reported to the test thread below
            errors.append(f"writer {number} step {step}: {exc!r}")
            return


def test_consumer_converges_under_concurrent_writers(server, token):
    errors: list[str] = []
    copy: dict[str, dict] = {}
    done = threading.Event()
    since = 0

    def consume_once():
        nonlocal since
        while True:
            status, _, page = call(server, "GET", f"/v1/changes?since={since}&limit=7")
            assert status == 200, page
            for change in page["changes"]:
                assert change["seq"] > since
                if change["type"] == "upsert":
                    copy[change["id"]] = change["article"]
                else:
                    copy.pop(change["id"], None)
            if not page["changes"]:
                return
            since = page["next_since"]

    def consumer():
        try:
            while not done.is_set():
                consume_once()
        except Exception as exc:  # noqa: BLE001
            errors.append(f"consumer: {exc!r}")

    reader = threading.Thread(target=consumer)
    reader.start()
    writers = [threading.Thread(target=writer, args=(server, token, n, errors)) for n in range(4)]
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join()
    done.set()
    reader.join()
    assert errors == []
    time.sleep(2.1)  # every scheduled article is due now
    consume_once()

    expected: dict[str, dict] = {}
    cursor = ""
    while True:
        status, _, page = call(server, "GET", f"/v1/articles?limit=100{cursor}")
        expected.update({a["id"]: a for a in page["items"]})
        if not page["next_cursor"]:
            break
        cursor = f"&cursor={page['next_cursor']}"
    assert expected, "the writers published nothing: the test would prove nothing"
    assert copy == expected


def test_concurrent_patches_with_if_match_star_both_survive(server, token):
    """Each PATCH reads, merges and writes in one transaction: two at once (different
    fields, `If-Match: *`, different workers) both keep their edit. Before, one was lost
    in every run; twelve rounds make a pass by luck unlikely."""
    status, _, article = call(
        server,
        "POST",
        "/v1/articles",
        token,
        {"headline": "Zwei Redakteure", "lead": "Vorspann.", "body_text": "Absatz."},
    )
    assert status == 201, article
    url = f"/v1/articles/{article['id']}"
    for round_ in range(12):
        patches = [{"lead": f"Vorspann {round_}."}, {"tags": [f"Runde {round_}"]}]
        start = threading.Barrier(len(patches))
        answers: list = []

        def edit(patch, start, answers):
            start.wait()
            answers.append(call(server, "PATCH", url, token, patch, headers={"If-Match": "*"}))

        threads = [threading.Thread(target=edit, args=(patch, start, answers)) for patch in patches]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert [status for status, _, _ in answers] == [200, 200], answers
        _, _, now = call(server, "GET", url, token)
        assert (now["lead"], now["tags"]) == (f"Vorspann {round_}.", [f"Runde {round_}"])


def test_a_write_through_one_worker_is_seen_by_another(database_url, token, article_data):
    """Two app instances stand for two workers: neither may serve what the other replaced."""
    config = {"TESTING": True, "DATABASE_URL": database_url, "CURSOR_SECRET": "s"}
    first, second = create_app(config), create_app(config)
    one, two = first.test_client(), second.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    created = one.post("/v1/articles", json=article_data, headers=auth).get_json()
    url = f"/v1/articles/{created['id']}"
    for path in ("/v1/articles", url, "/v1/changes"):
        assert two.get(path).status_code == 200  # cached by the second worker now
    etag = one.get(url).headers["ETag"]
    response = one.patch(
        url, json={"headline": "Neue Schlagzeile"}, headers={**auth, "If-Match": etag}
    )
    assert response.status_code == 200
    assert two.get(url).get_json()["headline"] == "Neue Schlagzeile"
    assert two.get("/v1/articles").get_json()["items"][0]["headline"] == "Neue Schlagzeile"
    assert two.get("/v1/changes").get_json()["changes"][0]["article"]["headline"] == (
        "Neue Schlagzeile"
    )
    for app in (first, second):
        app.extensions["store"].close()


def test_many_threads_read_without_exhausting_the_connection_pool(app, client, create):
    """Each thread keeps a connection for its per-request reads; it holds no pool slot.

    Thirty live threads (a threaded server) read, then all write-path connections are taken
    from the pool at once: none may wait for a slot that a reading thread keeps.
    """
    create(headline="Eins")
    store = app.extensions["store"]
    store.engine.pool._timeout = 2  # fail in seconds, not after the default 30
    barrier = threading.Barrier(30)
    failures: list[BaseException] = []

    def reader():
        try:
            items, _ = store.list_articles({"limit": 5}, "http://localhost")
            assert len(items) == 1
            barrier.wait(timeout=20)
            store.ping()
        except BaseException as exc:  # reported below, with the thread's error
            failures.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


def test_a_patch_is_validated_before_it_takes_the_write_lock(
    app, client, auth, create, monkeypatch
):
    """Validating a PATCH (for a body, an HTML parse of up to 100,000 characters) holds no other
    writer: a write that comes while it runs lands at once, and both edits stay. Before, the
    merge was validated inside the write transaction, and the other writer waited."""
    from api import articles

    article = create()
    url = f"/v1/articles/{article['id']}"
    other = app.test_client()
    real_load, started, landed, in_time = articles.ARTICLE_IN.load, [], [], []

    def edit_meanwhile():
        patch = {"tags": ["Nebenbei"]}
        answer = other.patch(url, json=patch, headers={**auth, "If-Match": "*"})
        landed.append(answer.status_code)

    def load(data, **kwargs):
        if not started:  # the first validation: another writer comes now
            started.append(threading.Thread(target=edit_meanwhile))
            started[0].start()
            started[0].join(timeout=10)
            in_time.append(list(landed))  # what had landed while this validation ran
        return real_load(data, **kwargs)

    monkeypatch.setattr(articles.ARTICLE_IN, "load", load)
    response = client.patch(
        url, json={"lead": "Neuer Vorspann."}, headers={**auth, "If-Match": "*"}
    )
    started[0].join()
    assert in_time == [[200]], "the other writer waited for the validation"
    assert response.status_code == 200, response.get_json()
    now = client.get(url, headers=auth).get_json()
    assert (now["lead"], now["tags"]) == ("Neuer Vorspann.", ["Nebenbei"])


def test_a_patch_validated_outside_the_lock_sees_a_related_draft_deleted_meanwhile(
    app, client, auth, create, monkeypatch
):
    """An article related to a draft loses that item when the draft is deleted, and nothing a
    reader sees changes (a draft's item shows nothing), so its version stays. A PATCH of
    another field that was validated before the deletion must still land, on what the article
    holds now, not fail on the related item it did not touch."""
    from api import articles

    draft = create(status="draft", headline="Ein Entwurf")
    article = create(related=[{"article": draft["id"]}])
    url = f"/v1/articles/{article['id']}"
    etag = client.get(url, headers=auth).headers["ETag"]
    other = app.test_client()
    real_load, deleted = articles.ARTICLE_IN.load, []

    def load(data, **kwargs):
        if not deleted:  # the first validation: the draft is deleted now
            answer = other.delete(f"/v1/articles/{draft['id']}", headers={**auth, "If-Match": "*"})
            deleted.append(answer.status_code)
        return real_load(data, **kwargs)

    monkeypatch.setattr(articles.ARTICLE_IN, "load", load)
    response = client.patch(
        url, json={"lead": "Neuer Vorspann."}, headers={**auth, "If-Match": etag}
    )
    assert deleted == [204]
    assert response.status_code == 200, response.get_json()
    now = client.get(url, headers=auth).get_json()
    assert (now["lead"], now["related"]) == ("Neuer Vorspann.", [])
