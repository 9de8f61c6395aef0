"""Issue 10.12: on SQLite an acknowledged write survives a power cut: every connection runs
WAL with synchronous=FULL, unless SQLITE_SYNCHRONOUS asks for NORMAL explicitly."""

from __future__ import annotations

import pytest

from api import create_app

FULL, NORMAL = 2, 1  # what PRAGMA synchronous answers


@pytest.fixture
def sqlite_url(database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's own durability setting")
    return database_url


def settings_of_every_connection(app) -> set[tuple]:
    """(journal_mode, synchronous) of several connections of each pool: the writes' and
    sessions' pool, and the timed reads' pool (Database.query)."""
    store = app.extensions["store"]
    seen = set()
    for engine in (store.db.engine, store.db.reads):
        held = [engine.raw_connection() for _ in range(3)]  # three distinct connections
        for conn in held:
            cursor = conn.cursor()
            mode = cursor.execute("PRAGMA journal_mode").fetchone()[0]
            seen.add((mode, cursor.execute("PRAGMA synchronous").fetchone()[0]))
            cursor.close()
        for conn in held:
            conn.close()
    mode = store.db.query("PRAGMA journal_mode", {})[0][0]
    seen.add((mode, store.db.query("PRAGMA synchronous", {})[0][0]))
    return seen


def test_every_connection_is_wal_with_synchronous_full(sqlite_url, client, create):
    create()  # a write, and the reads around it, have opened connections
    assert client.get("/v1/articles").status_code == 200
    assert settings_of_every_connection(client.application) == {("wal", FULL)}


def test_normal_is_an_explicit_setting(sqlite_url, monkeypatch):
    monkeypatch.setenv("SQLITE_SYNCHRONOUS", "normal")
    app = create_app({"TESTING": True, "DATABASE_URL": sqlite_url, "CURSOR_SECRET": "s"})
    try:
        assert settings_of_every_connection(app) == {("wal", NORMAL)}
    finally:
        app.extensions["store"].close()


def test_an_unknown_setting_is_refused_at_start(sqlite_url, monkeypatch):
    monkeypatch.setenv("SQLITE_SYNCHRONOUS", "OFF")
    with pytest.raises(ValueError, match="SQLITE_SYNCHRONOUS"):
        create_app({"TESTING": True, "DATABASE_URL": sqlite_url, "CURSOR_SECRET": "s"})
