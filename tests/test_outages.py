"""Issue 10.3: a database that cannot be reached or written is a 503 with Retry-After, never
a 500; reads go on while a due scheduled article cannot be announced; /health says so."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event

from api import create_app
from api.storage import changelog
from tests.test_errors import assert_problem

READS = ["/v1/articles", "/v1/changes", "/feeds/rss.xml", "/feeds/atom.xml", "/"]


def assert_unavailable(response):
    body = assert_problem(response, 503)
    assert int(response.headers["Retry-After"]) > 0
    return body


class WriteSwitch:
    """Makes every new connection of the app's pool refuse writes, as a full or read-only
    disk would (SQLite: query_only; PostgreSQL: read-only transactions)."""

    def __init__(self, app):
        self.engine = app.extensions["store"].engine

    def read_only(self, dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        if self.engine.dialect.name == "sqlite":
            cursor.execute("PRAGMA query_only = 1")
        else:
            cursor.execute("SET default_transaction_read_only = on")
            dbapi_connection.commit()
        cursor.close()

    def refuse(self):
        event.listen(self.engine, "connect", self.read_only)
        self.engine.dispose()

    def allow(self):
        if event.contains(self.engine, "connect", self.read_only):
            event.remove(self.engine, "connect", self.read_only)
        self.engine.dispose()


@pytest.fixture
def writes(app):
    switch = WriteSwitch(app)
    yield switch
    switch.allow()


def test_reads_go_on_while_a_due_article_cannot_be_announced(client, create, writes):
    published = create(headline="Schon veröffentlicht")
    due = datetime.now(UTC) + timedelta(seconds=1.5)
    scheduled = create(headline="Geplant", published_at=due.isoformat())
    for path in READS:
        assert client.get(path).status_code == 200
    writes.refuse()
    time.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds()) + 0.1)
    for path in [*READS, f"/v1/articles/{published['id']}"]:
        response = client.get(path)
        if response.status_code != 200:
            assert_unavailable(response)
    changes = client.get("/v1/changes").get_json()["changes"]
    assert [c["id"] for c in changes] == [published["id"]]  # the last head
    assert "Retry-After" in client.get("/health").headers
    assert_unavailable(client.get("/health"))

    writes.allow()
    assert client.get("/health").status_code == 200
    changes = client.get("/v1/changes").get_json()["changes"]
    assert [c["id"] for c in changes] == [published["id"], scheduled["id"]]


def test_health_is_503_when_the_database_refuses_writes(client, writes):
    assert client.get("/health").status_code == 200
    writes.refuse()
    body = assert_unavailable(client.get("/health"))
    assert "write" in body["detail"]
    writes.allow()
    assert client.get("/health").status_code == 200


def test_a_write_the_database_refuses_is_503_and_changes_nothing(
    client, auth, create, writes, article_data
):
    article = create()
    etag = client.get(f"/v1/articles/{article['id']}").headers["ETag"]
    writes.refuse()
    assert_unavailable(client.post("/v1/articles", json=article_data, headers=auth))
    headers = {**auth, "If-Match": etag}
    patch = client.patch(f"/v1/articles/{article['id']}", json={"lead": "Neu."}, headers=headers)
    assert_unavailable(patch)
    writes.allow()
    assert client.get(f"/v1/articles/{article['id']}").get_json()["lead"] == article["lead"]
    assert len(client.get("/v1/articles").get_json()["items"]) == 1


@pytest.fixture
def unreachable_app(database_template, tmp_path):
    kind, _ = database_template
    url = (
        f"sqlite:///{tmp_path}/no/such/directory/newswire.sqlite3"
        if kind == "sqlite"
        else "postgresql+psycopg://postgres@127.0.0.1:1/newswire"
    )
    app = create_app({"TESTING": True, "DATABASE_URL": url, "CURSOR_SECRET": "test"})
    yield app
    app.extensions["store"].close()


def test_a_database_that_does_not_answer_is_503_everywhere(unreachable_app):
    client = unreachable_app.test_client()
    for path in [*READS, "/v1/articles/abc", "/v1/sections", "/health"]:
        assert_unavailable(client.get(path))
    response = client.post(
        "/v1/articles", json={"headline": "x"}, headers={"Authorization": "Bearer abc"}
    )
    assert_unavailable(response)


def test_a_mistake_in_our_sql_stays_a_500(client, monkeypatch):
    """Only outages ask clients to retry: a broken query is our bug, and says so."""
    monkeypatch.setattr(changelog, "HEAD_SQL", "SELECT no_such_column FROM changes")
    response = client.get("/v1/changes")
    assert_problem(response, 500)
    assert "Retry-After" not in response.headers
