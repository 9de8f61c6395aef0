"""/health, /openapi.json, /docs, and what every answer carries (ETag, CORS)."""

from __future__ import annotations

import math
import time

import pytest


def test_health(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_openapi_is_generated_from_the_schemas(client):
    response = client.get("/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"].startswith("3.")
    assert {"/v1/articles", "/v1/articles/{key}", "/v1/changes"} <= set(spec["paths"])
    article_in = spec["components"]["schemas"]["ArticleIn"]
    assert {"headline", "lead"} <= set(article_in["required"])
    assert "ArticleOut" in spec["components"]["schemas"]
    post = spec["paths"]["/v1/articles"]["post"]
    assert post["summary"].startswith("Create an article")
    # writes say they need the bearer token, reads do not; errors are problem+json
    assert spec["components"]["securitySchemes"]["token"]["scheme"] == "bearer"
    for path, method in [("/v1/articles", "post"), ("/v1/articles/{key}", "patch")]:
        assert spec["paths"][path][method]["security"] == [{"token": []}]
    assert "security" not in spec["paths"]["/v1/articles"]["get"]
    error = spec["components"]["responses"]["DEFAULT_ERROR"]["content"]
    assert error == {
        "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
    }
    published_at = spec["components"]["schemas"]["ArticleOut"]["properties"]["published_at"]
    assert (published_at["type"], published_at["format"]) == (["string", "null"], "date-time")


def test_docs_work_offline(client):
    page = client.get("/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "/docs/assets/swagger-ui-bundle.js" in html
    for cdn in ("unpkg", "jsdelivr", "cdnjs"):
        assert cdn not in html
    asset = client.get("/docs/assets/swagger-ui-bundle.js")
    assert asset.status_code == 200 and len(asset.data) > 100_000


def test_every_successful_get_has_an_etag_and_answers_304(client, create):
    article = create()
    paths = ["/health", "/openapi.json", "/docs", "/v1/articles", f"/v1/articles/{article['id']}"]
    for path in paths + ["/feeds/atom.xml", "/", "/v1/tags", "/docs/assets/swagger-ui.css"]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Access-Control-Allow-Origin"] == "*", path
        etag = response.headers["ETag"]
        again = client.get(path, headers={"If-None-Match": etag})
        assert again.status_code == 304, path


def test_browser_apps_may_read_headers_and_send_conditional_requests(client, create):
    create()
    create()
    listed = client.get("/v1/articles?limit=1")
    exposed = {h.strip() for h in listed.headers["Access-Control-Expose-Headers"].split(",")}
    assert {"ETag", "Link", "Location", "Last-Modified"} <= exposed
    preflight = client.options(
        "/v1/articles",
        headers={
            "Origin": "https://app.example",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "if-none-match",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    allowed = preflight.headers["Access-Control-Allow-Headers"].lower()
    assert "if-none-match" in allowed and "authorization" in allowed


@pytest.mark.parametrize("path", ["/feeds/rss.xml", "/v1/articles", "/v1/changes"])
def test_a_request_reads_the_change_log_head_once(app, client, create, monkeypatch, path):
    """ServeCached reads the head; on a miss the view's @cached uses it instead of reading again."""
    create()
    store = app.extensions["store"]
    calls = []
    real_head = store.head

    def counting_head(*args, **kwargs):
        calls.append(path)
        return real_head(*args, **kwargs)

    monkeypatch.setattr(store, "head", counting_head)
    assert client.get(path).status_code == 200  # a miss: rendered
    assert client.get(path).status_code == 200  # a hit: answered before Flask
    assert len(calls) == 2


def test_shared_caches_may_hold_public_answers_a_second_and_browsers_revalidate(client, create):
    """nginx or a CDN may keep a public answer SHARED_MAX_AGE (1 s). nginx is told the last
    second it may serve it in, the second the answer was made in: it holds it under 1 s."""
    article = create()
    for path in ("/v1/articles", f"/v1/articles/{article['slug']}", "/v1/changes", "/v1/tags"):
        before = math.floor(time.time())
        response = client.get(path)
        after = math.floor(time.time())
        assert response.headers["Cache-Control"] == "public, max-age=0, s-maxage=1", path
        assert response.headers["X-Accel-Expires"] in (f"@{before}", f"@{after}"), path
        again = client.get(path, headers={"If-None-Match": response.headers["ETag"]})
        assert again.status_code == 304
        assert again.headers["Cache-Control"] == response.headers["Cache-Control"]


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (30, "public, max-age=0, s-maxage=5, stale-while-revalidate=10"),
        (9.9, "public, max-age=0, s-maxage=5, stale-while-revalidate=3"),
        (3.9, "public, max-age=0, s-maxage=2"),
        (1.9, "public, max-age=0, s-maxage=0"),
    ],
)
def test_no_shared_cache_keeps_an_answer_past_a_scheduled_instant(database_url, seconds, expected):
    """Lifetimes in shared caches, fresh and stale, end a whole second before the instant."""
    from datetime import UTC, datetime, timedelta

    from api import create_app

    config = {"SHARED_MAX_AGE": 5, "SHARED_STALE": 10, "API_MAX_AGE": 0}
    app = create_app({"TESTING": True, "DATABASE_URL": database_url, **config})
    token = app.extensions["store"].create_token("t")
    client = app.test_client()
    try:
        due = datetime.now(UTC) + timedelta(seconds=seconds)
        article = {"headline": "Geplant", "lead": "Bald.", "body_text": "Text."}
        article |= {"status": "published", "published_at": due.isoformat()}
        headers = {"Authorization": f"Bearer {token}"}
        assert client.post("/v1/articles", json=article, headers=headers).status_code == 201
        response = client.get("/v1/articles")
        assert response.headers["Cache-Control"] == expected
        shared = int(expected.split("s-maxage=")[1].split(",")[0])
        if shared == 0:
            assert "X-Accel-Expires" not in response.headers
        else:  # nginx serves through the whole of the second it is given, then stale
            last_second = int(response.headers["X-Accel-Expires"].removeprefix("@"))
            stale = int(expected.partition("stale-while-revalidate=")[2] or 0)
            assert last_second + 1 + stale <= due.timestamp()
            assert last_second + 1 - time.time() <= shared
    finally:
        app.extensions["store"].close()


def test_a_browser_copy_handed_on_by_nginx_expires_by_the_scheduled_instant(client, create):
    """nginx hands its copy on, unchanged and without an Age header, until the end of its
    last second (X-Accel-Expires); a browser counts max-age from then, so max-age must leave
    that time out, or a feed without the scheduled article outlives its instant."""
    from datetime import UTC, datetime

    due = datetime.fromtimestamp(math.floor(time.time()) + 10.999, UTC)
    create(headline="Geplant", published_at=due.isoformat())
    for path in ("/feeds/rss.xml", "/"):
        response = client.get(path)
        max_age = int(response.headers["Cache-Control"].split("max-age=")[1].split(",")[0])
        last_second = int(response.headers["X-Accel-Expires"].removeprefix("@"))
        assert last_second + 1 + max_age <= due.timestamp(), path


def test_a_browsers_stale_while_revalidate_ends_by_the_scheduled_instant(database_url):
    """stale-while-revalidate (SHARED_STALE) is for every cache, browsers too (Chrome serves
    a stale copy once while it revalidates): with max-age it must end by the instant."""
    from datetime import UTC, datetime

    from api import create_app

    config = {"SHARED_MAX_AGE": 1, "SHARED_STALE": 5, "FEED_MAX_AGE": 60}
    app = create_app({"TESTING": True, "DATABASE_URL": database_url, **config})
    token = app.extensions["store"].create_token("t")
    client = app.test_client()
    try:
        due = datetime.fromtimestamp(math.floor(time.time()) + 10.999, UTC)
        article = {"headline": "Geplant", "lead": "Bald.", "body_text": "Text."}
        article |= {"status": "published", "published_at": due.isoformat()}
        headers = {"Authorization": f"Bearer {token}"}
        assert client.post("/v1/articles", json=article, headers=headers).status_code == 201
        response = client.get("/feeds/rss.xml")
        directives = dict(
            d.strip().partition("=")[::2] for d in response.headers["Cache-Control"].split(",")
        )
        max_age = int(directives["max-age"])
        stale = int(directives.get("stale-while-revalidate", 0))
        last_second = int(response.headers["X-Accel-Expires"].removeprefix("@"))
        assert last_second + 1 + max_age + stale <= due.timestamp()
    finally:
        app.extensions["store"].close()


def test_answers_with_credentials_are_not_for_shared_caches(client, create, auth):
    article = create()
    response = client.get(f"/v1/articles/{article['id']}", headers=auth)
    assert response.headers["Cache-Control"] == "no-cache"
    assert "X-Accel-Expires" not in response.headers


def test_shared_caching_can_be_turned_off(database_url):
    from api import create_app

    app = create_app({"TESTING": True, "DATABASE_URL": database_url, "SHARED_MAX_AGE": 0})
    try:
        response = app.test_client().get("/v1/articles")
        assert response.headers["Cache-Control"] == "public, max-age=0"
        assert "X-Accel-Expires" not in response.headers
    finally:
        app.extensions["store"].close()
