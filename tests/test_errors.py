"""SPEC §4: every error is problem+json; no input gives a 500; a rejected write changes nothing."""

from __future__ import annotations

import json
import time

import pytest

PROBLEM = "application/problem+json"


def assert_problem(response, status):
    assert response.status_code == status, response.data[:300]
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert body["status"] == status
    assert body["title"] and body["detail"] and body["type"]
    return body


def articles_count(client, auth):
    return len(client.get("/v1/articles?limit=100", headers=auth).get_json()["items"])


def test_unknown_route_is_404(client):
    assert_problem(client.get("/no/such/thing"), 404)


def test_wrong_method_is_405_with_allow(client):
    response = client.delete("/v1/articles")
    assert_problem(response, 405)
    assert "GET" in response.headers["Allow"] and "POST" in response.headers["Allow"]


def test_missing_and_wrong_token_are_401_with_challenge(client, article_data):
    missing = client.post("/v1/articles", json=article_data)
    assert_problem(missing, 401)
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    wrong = client.post("/v1/articles", json=article_data, headers={"Authorization": "Bearer nope"})
    assert_problem(wrong, 401)
    assert 'error="invalid_token"' in wrong.headers["WWW-Authenticate"]
    basic = client.post(
        "/v1/articles", json=article_data, headers={"Authorization": "Basic dXNlcjpwYXNz"}
    )
    assert_problem(basic, 401)
    assert client.get("/v1/articles").get_json()["items"] == []


def test_tokens_are_stored_hashed(app, token):
    from sqlalchemy import text

    with app.extensions["store"].engine.connect() as conn:
        stored = conn.execute(text("SELECT token_hash FROM tokens")).scalars().all()
    assert token not in stored and len(stored) == 1


def test_malformed_json_is_400(client, auth):
    response = client.post(
        "/v1/articles", data=b'{"headline": ', headers=auth, content_type="application/json"
    )
    assert_problem(response, 400)


def test_wrong_media_type_is_415(client, auth, article_data):
    response = client.post(
        "/v1/articles", data=json.dumps(article_data), headers=auth, content_type="text/plain"
    )
    assert_problem(response, 415)


def test_body_over_one_mebibyte_is_413(client, auth, article_data):
    big = {**article_data, "body_text": "x" * (1024 * 1024)}
    assert_problem(client.post("/v1/articles", json=big, headers=auth), 413)


def test_chunked_body_over_one_mebibyte_is_413_too(client, auth, article_data):
    """Without Content-Length (chunked), as gunicorn hands such a body to the app."""
    import io

    def chunked(document):
        data = json.dumps(document).encode()
        return client.post(
            "/v1/articles",
            input_stream=io.BytesIO(data),
            headers={**auth, "Content-Type": "application/json"},
            environ_overrides={"wsgi.input_terminated": True, "HTTP_TRANSFER_ENCODING": "chunked"},
        )

    assert_problem(chunked({**article_data, "body_text": "x" * (1024 * 1024)}), 413)
    assert chunked(article_data).status_code == 201


def test_validation_error_names_field_paths(client, auth, article_data):
    bad = {
        **article_data,
        "related": [
            {"url": "https://example.org/a", "title": "ok"},
            {"url": "ftp://example.org", "title": "x"},
        ],
    }
    body = assert_problem(client.post("/v1/articles", json=bad, headers=auth), 422)
    assert "related.1.url" in body["errors"]
    assert isinstance(body["errors"]["related.1.url"], list)


@pytest.mark.parametrize(
    "payload",
    [
        b"[]",
        b"[" * 100_000 + b"]" * 100_000,
        b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
        b'"just a string"',
        b"null",
        b"12",
        b'{"headline": "\\ud800", "lead": "x", "body_text": "y"}',
        b'{"headline": 12, "lead": ["x"], "body_text": {"a": 1}}',
        b'{"headline": "a", "lead": "b", "body": "<p>x</p>", "body_text": "y"}',
        b'{"headline": "a\\u0000b", "lead": "b", "body_text": "y"}',
        b"\xff\xfe\x00garbage",
        b'{"headline": "a", "lead": "b", "body_text": "y", "tags": "notalist"}',
        b'{"headline": "a", "lead": "b", "body_text": "y", "related": [1, null, "x", {}]}',
        b'{"headline": "a", "lead": "b", "body_text": "y", "published_at": "yesterday"}',
        b'{"headline": "a", "lead": "b", "body_text": "y", "image": {"url": "https://x.org/i"}}',
    ],
)
def test_hostile_bodies_never_500_and_change_nothing(client, auth, payload):
    response = client.post(
        "/v1/articles", data=payload, headers=auth, content_type="application/json"
    )
    assert response.status_code in (400, 422)
    assert response.mimetype == PROBLEM
    assert articles_count(client, auth) == 0


@pytest.mark.parametrize(
    ("body", "limit"),
    [
        ("<ul>" * 16_000, "more than 3,000 elements"),
        ("<blockquote>" * 2_000 + "x", "more than 32 deep"),
    ],
    ids=["ul", "blockquote"],
)
def test_a_hostile_body_is_a_422_naming_the_limit(client, auth, article_data, body, limit):
    """A body nested this way kept a worker for 30 s; now it is refused before the parse."""
    data = {**article_data, "body": body}
    del data["body_text"]
    problem = assert_problem(client.post("/v1/articles", json=data, headers=auth), 422)
    assert limit in problem["errors"]["body"][0]
    assert articles_count(client, auth) == 0


def test_rejected_write_changes_nothing_even_with_valid_parts(app, client, auth, article_data):
    from sqlalchemy import text

    bad = {**article_data, "related": [{"article": "does-not-exist"}]}
    assert_problem(client.post("/v1/articles", json=bad, headers=auth), 422)
    with app.extensions["store"].engine.connect() as conn:
        for table in ("articles", "article_tags", "article_authors", "changes"):
            assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 0


def test_keys_no_article_can_have_are_404_not_500(client, auth, article_data):
    for key in ("%00", "a%00b", "x" * 300, "%F0%9F%98%80"):
        assert_problem(client.get(f"/v1/articles/{key}"), 404)
        assert_problem(
            client.patch(f"/v1/articles/{key}", json={}, headers={**auth, "If-Match": '"x"'}),
            404,
        )
    bad_key = {**auth, "Idempotency-Key": "tab\there"}
    assert_problem(client.post("/v1/articles", json=article_data, headers=bad_key), 400)


def test_a_read_past_the_time_limit_is_stopped_and_the_connection_stays_usable(database_url):
    """The limit that keeps a `q` over a whole archive from holding a worker (SQLite and PG)."""
    from api.store import Store, TooSlow

    store = Store(database_url, secret="test", query_timeout=0.2)
    slow = (
        "SELECT pg_sleep(3)"
        if store.is_postgres
        else "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 10000000000)"
        " SELECT count(*) FROM c"
    )
    try:
        started = time.monotonic()
        with pytest.raises(TooSlow):
            store._query(slow, {})
        assert time.monotonic() - started < 2.5
        assert store._query("SELECT 1", {}) == [(1,)]
    finally:
        store.close()


def test_a_stopped_read_is_a_503_problem(app, client, monkeypatch):
    from api.store import TooSlow

    def too_slow(*args, **kwargs):
        raise TooSlow()

    monkeypatch.setattr(app.extensions["store"], "list_articles", too_slow)
    response = client.get("/v1/articles?q=nirgends")
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert "narrow it" in response.get_json()["detail"]
