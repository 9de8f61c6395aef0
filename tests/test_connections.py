"""How many PostgreSQL connections one worker process opens, however many requests it serves.

A gevent worker holds up to 1,000 client connections at once: its database connections must
come from bounded pools, or one burst of requests on a few workers uses up PostgreSQL's
`max_connections` (100 by default) and every instance gets errors (README "Running in
production" says how to size it).
"""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import create_engine, text

from api.store import Store

PER_PROCESS = 20  # README: size max_connections for servers × WORKERS × 20


def connections_to(engine, url: str) -> int:
    name = url.rsplit("/", 1)[1]
    with engine.connect() as conn:
        return conn.execute(
            text("SELECT count(*) FROM pg_stat_activity WHERE datname = :name"), {"name": name}
        ).scalar_one()


def test_one_process_opens_at_most_its_budget_of_connections(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only: SQLite has no connection limit")
    store = Store(database_url, secret="s")
    watcher = create_engine(database_url)  # one connection of its own
    try:
        baseline = connections_to(watcher, database_url)  # the watcher's own

        def timed_read():
            store.db.query("SELECT pg_sleep(1.5)", {})

        def session_read():
            with store.db.reading() as session:
                session.execute(text("SELECT pg_sleep(1.5)"))

        threads = [threading.Thread(target=f) for f in (timed_read, session_read) * 40]
        for thread in threads:
            thread.start()
        time.sleep(0.75)  # every pool is as full as it gets: 80 readers want a connection
        held = connections_to(watcher, database_url) - baseline
        for thread in threads:
            thread.join()
        assert 0 < held <= PER_PROCESS
    finally:
        watcher.dispose()
        store.close()
