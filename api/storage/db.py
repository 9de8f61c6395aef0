"""Connections: the engine, write and read sessions, and the timed read connection.

Every write takes one lock before it reads anything (see `Database.writing`), so the change
log's seqs are handed out and committed in the same order:

* PostgreSQL: every write transaction first takes one transaction-scoped advisory lock,
  then reads ``max(seq) + 1`` in a fresh READ COMMITTED statement and commits while still
  holding the lock. So once a reader sees seq N, every seq below N is already committed, and
  no seq below N can appear later.
* SQLite: every write transaction starts with ``BEGIN IMMEDIATE``, which admits one writer
  at a time for the whole database, with the same consequence. WAL lets readers go on.
"""

from __future__ import annotations

import functools
import re
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import psycopg
import sqlalchemy.exc
from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session

from api.storage.errors import TooSlow, UnusableDatabaseUrl, Unwritable

ADVISORY_LOCK_KEY = 7_420_001  # any constant; the same for every Newswire process
# PostgreSQL connections each of a process's two pools (sessions, timed reads) keeps, and how
# many more it opens in a burst: 20 a process at most, however many requests wait (they queue
# for a connection), so servers × WORKERS × 20 must fit in max_connections (README)
POOL_SIZE, POOL_OVERFLOW = 5, 5


class Database:
    """One database, SQLite or PostgreSQL, and the ways of reaching it."""

    def __init__(self, url: str, query_timeout: float = 5.0, sqlite_synchronous: str = "FULL"):
        try:
            self.engine = make_engine(url, sqlite_synchronous=sqlite_synchronous)
        except (sqlalchemy.exc.ArgumentError, ImportError) as exc:  # unknown dialect or driver
            raise UnusableDatabaseUrl(unusable_url_reason(url, exc)) from None
        self.query_timeout = query_timeout  # seconds a `query` read may run
        self.is_postgres = self.engine.dialect.name == "postgresql"
        # the timed reads' own pool: autocommit, with PostgreSQL's statement_timeout set
        self.reads = make_engine(
            url, read_timeout=query_timeout, sqlite_synchronous=sqlite_synchronous
        )

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A read-only session that sees one snapshot for all its statements."""
        options = {"isolation_level": "REPEATABLE READ"} if self.is_postgres else {}
        with Session(self.engine) as session:
            session.connection(execution_options=options)
            yield session  # closing the session ends the transaction; loaded rows stay readable

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """One write transaction, serialised against every other writer (see module doc)."""
        with Session(self.engine, expire_on_commit=False) as session:
            session.connection(execution_options={"sqlite_immediate": True})
            if self.is_postgres:
                session.execute(select(func.pg_advisory_xact_lock(ADVISORY_LOCK_KEY)))
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def query(self, sql: str, params: dict) -> list[tuple]:
        """Run one read-only statement on a DB-API connection from the pool of timed reads.

        For the few reads on every request's path, where SQLAlchemy's own work would cost more
        than the query. `sql` uses %(name)s parameters; times go through `db_time`. A read
        that runs past `query_timeout` is stopped (TooSlow), so that no query string, such as
        a `q` no article matches, can hold a worker while it reads the whole archive.

        The connection goes back to the pool after each statement: under gevent every client
        connection is a greenlet of its own, so a connection per thread would mean one per
        client, held while it is idle or waits in a long-poll.
        """
        if not self.is_postgres:
            sql = sqlite_paramstyle(sql)
        for attempt in (1, 2):
            conn = self.reads.raw_connection()
            deadline = time.monotonic() + self.query_timeout
            try:
                if not self.is_postgres:
                    # SQLite calls this every 1,000 instructions; a true answer stops the query
                    conn.driver_connection.set_progress_handler(
                        lambda deadline=deadline: time.monotonic() > deadline, 1000
                    )
                cursor = conn.cursor()
                cursor.execute(sql, params)
                rows = cursor.fetchall()
                cursor.close()
                return rows
            except Exception as exc:
                if self._stopped(exc, deadline):
                    raise TooSlow() from exc
                conn.invalidate()  # a lost connection: try once more on a new one
                if attempt == 2:
                    raise
            finally:
                conn.close()  # back to the pool (a no-op after invalidate)
        raise AssertionError("unreachable")

    def _stopped(self, exc: Exception, deadline: float) -> bool:
        """Whether `exc` is the time limit stopping a read (not a lost connection)."""
        if self.is_postgres:
            return isinstance(exc, psycopg.errors.QueryCanceled)
        return isinstance(exc, sqlite3.OperationalError) and time.monotonic() > deadline

    def db_time(self, moment: datetime):
        """A time as a parameter of `query`: what UTCDateTime would store."""
        if self.is_postgres:
            return moment.astimezone(UTC)
        return moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(select(1))

    def check_writable(self) -> None:
        """Raise unless a write transaction can start and may write (for /health).

        SQLite refuses BEGIN IMMEDIATE on a read-only database; PostgreSQL says whether the
        transaction is read-only. A full disk shows only when a write commits.
        """
        with self.writing() as session:
            if self.is_postgres and session.scalar(text("SHOW transaction_read_only")) == "on":
                raise Unwritable("the database is read-only")

    def close(self) -> None:
        """Release every connection (tests and tools that open many stores)."""
        self.reads.dispose()
        self.engine.dispose()


@functools.lru_cache(maxsize=256)
def sqlite_paramstyle(sql: str) -> str:
    """%(name)s parameters as sqlite3 wants them, :name."""
    return re.sub(r"%\((\w+)\)s", r":\1", sql)


def unusable_url_reason(url: str, error: Exception) -> str:
    """One line naming the URL (password hidden) and why it cannot be opened."""
    try:
        name = make_url(url).render_as_string(hide_password=True)
    except sqlalchemy.exc.ArgumentError:
        return "DATABASE_URL is not a database URL (e.g. postgresql+psycopg://user@host/name)"
    reason = (str(error).strip().splitlines() or [type(error).__name__])[0]
    return f"cannot open database {name}: {reason} (PostgreSQL: postgresql+psycopg://…)"


def make_engine(
    url: str, read_timeout: float | None = None, sqlite_synchronous: str = "FULL"
) -> Engine:
    """An engine tuned for its database: WAL, busy timeout and BEGIN IMMEDIATE on SQLite.

    With `read_timeout`, an engine for `Database.query`: on PostgreSQL its connections are in
    autocommit (no transaction left idle) and stop any statement after `read_timeout` seconds.
    SQLite syncs every commit to disk (synchronous=FULL), so an acknowledged write survives
    a power cut; NORMAL, for faster writes, is an explicit setting (SQLITE_SYNCHRONOUS).
    """
    if sqlite_synchronous not in ("FULL", "NORMAL"):
        raise ValueError(f"synchronous={sqlite_synchronous!r}: FULL or NORMAL")
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_connection, _record):
            dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, below
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute(f"PRAGMA synchronous={sqlite_synchronous}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):
            immediate = conn.get_execution_options().get("sqlite_immediate")
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    if read_timeout is None:
        return create_engine(
            url, pool_pre_ping=True, pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW
        )
    # no pre-ping: `query` tries once more on a fresh connection when one was lost
    engine = create_engine(
        url, isolation_level="AUTOCOMMIT", pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW
    )
    milliseconds = max(1, round(read_timeout * 1000))

    @event.listens_for(engine, "connect")
    def _postgres_connect(dbapi_connection, _record):
        dbapi_connection.execute(f"SET statement_timeout = {milliseconds}")

    return engine


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value) -> datetime | None:
    """Aggregates bypass UTCDateTime: SQLite hands them back as naive datetimes or text."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
