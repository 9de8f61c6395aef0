"""Fixtures: an app on a fresh database per test (SQLite, or PostgreSQL when configured).

The suite runs on SQLite by default. With NEWSWIRE_TEST_DATABASE_URL pointing at a PostgreSQL
server (as `.ci/run` does), every test runs there instead, in a database of its own that is
created for the run and dropped after it.
"""

from __future__ import annotations

import os
import shutil
import uuid
from contextlib import ExitStack

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from api import create_app
from api.store import Base, Store
from deploy.server import free_port, serve

PG_URL = os.environ.get("NEWSWIRE_TEST_DATABASE_URL")


@pytest.fixture(scope="session")
def database_template(tmp_path_factory):
    """A migrated, empty database: a SQLite file to copy, or a PostgreSQL database to clear."""
    if not PG_URL:
        path = tmp_path_factory.mktemp("db") / "template.sqlite3"
        store = Store(f"sqlite:///{path}", secret="test")
        store.upgrade()
        store.close()
        yield ("sqlite", path)
        return
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    name = f"newswire_test_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        message = f"PostgreSQL at {PG_URL} does not answer: {exc.orig}"
        if os.environ.get("CI"):
            pytest.exit(message, returncode=3)
        pytest.skip(message)
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    store = Store(url, secret="test")
    store.upgrade()
    store.close()
    yield ("postgresql", url)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def database_url(database_template, tmp_path):
    """A fresh database for one test."""
    kind, where = database_template
    if kind == "sqlite":
        path = tmp_path / "newswire.sqlite3"
        shutil.copy(where, path)
        return f"sqlite:///{path}"
    engine = create_engine(where)
    with engine.begin() as conn:
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return where


@pytest.fixture
def app(database_url):
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "PUBLIC_BASE_URL": None,
            "CURSOR_SECRET": "test-secret",
            "FEED_MAX_AGE": 60,
            "API_MAX_AGE": 0,
            "CACHE_ENABLED": True,
        }
    )
    yield app
    app.extensions["store"].close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def token(app) -> str:
    return app.extensions["store"].create_token("tests")


@pytest.fixture
def auth(token) -> dict:
    """Headers of an authenticated writer."""
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def article_data() -> dict:
    """A valid article in the write format, published."""
    return {
        "headline": "Stadtrat beschließt neuen Haushalt",
        "lead": "Nach langer Debatte stimmte eine knappe Mehrheit für den Entwurf.",
        "body_text": "Erster Absatz über die Sitzung.\nZweiter Absatz mit Zahlen: 1,2 Mio. €.",
        "section": "politik",
        "tags": ["Haushalt", "Stadtrat"],
        "authors": [{"name": "Jana Beispiel"}],
        "status": "published",
        "published_at": "2026-11-20T09:30:00+01:00",
    }


@pytest.fixture
def create(client, auth, article_data):
    """Create an article over HTTP and return its JSON; keyword arguments override fields."""

    def _create(**fields) -> dict:
        data = {**article_data, **fields}
        if "body" in fields:
            del data["body_text"]
        response = client.post("/v1/articles", json=data, headers=auth)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    return _create


@pytest.fixture
def edit(client, auth):
    """PATCH an article with the ETag just read, as a client does; the response."""

    def _edit(article_id: str, **fields):
        etag = client.get(f"/v1/articles/{article_id}").headers["ETag"]
        return client.patch(
            f"/v1/articles/{article_id}", json=fields, headers={**auth, "If-Match": etag}
        )

    return _edit


@pytest.fixture
def gunicorn(database_url, tmp_path):
    """Start gunicorn as `make run` does, on a free port and the test database.

    `gunicorn(*args, **env)` returns the base URL; extra command-line arguments (such as
    `--workers 3`) override the config file, extra environment variables are added. Every
    server started is stopped after the test.
    """
    with ExitStack() as servers:

        def start(*args: str, **env: str) -> str:
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            env = {
                "DATABASE_URL": database_url,
                "SECRET_KEY": "test-secret",
                "PUBLIC_BASE_URL": base,
                **env,
            }
            log = tmp_path / f"gunicorn-{port}.log"
            try:
                servers.enter_context(serve(*args, port=port, env=env, log=log))
            except RuntimeError as exc:
                pytest.fail(str(exc))
            return base

        yield start
