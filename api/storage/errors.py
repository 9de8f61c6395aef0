"""What the storage layer refuses, and which database errors are outages; api/errors.py turns
each into an HTTP problem."""

import sqlite3

import psycopg
import sqlalchemy.exc


class NotFound(Exception):
    """No article has this id or slug."""


class Gone(Exception):
    """The article existed and was deleted."""


class PreconditionFailed(Exception):
    """The caller's If-Match no longer matches the article."""


class IdempotencyConflict(Exception):
    """An Idempotency-Key was reused for a different request."""


class UnusableDatabaseUrl(ValueError):
    """DATABASE_URL names no database SQLAlchemy can open (no such dialect or driver)."""


class BadCursor(Exception):
    """A list cursor that this server did not sign."""


class TooSlow(Exception):
    """A read ran past the query time limit and was stopped."""


class Unwritable(Exception):
    """The database answers but accepts no writes (a read-only server or transaction)."""


# what a database failure can be raised as: SQLAlchemy's wrappers, or the drivers' own
# errors from the raw read connection (Database.query)
DATABASE_ERRORS = (
    sqlalchemy.exc.DBAPIError,
    sqlalchemy.exc.TimeoutError,
    sqlite3.Error,
    psycopg.Error,
    Unwritable,
)

# SQLite's primary result codes for a database that cannot be reached or written just now:
# BUSY, LOCKED, NOMEM, READONLY, IOERR, FULL, CANTOPEN, PROTOCOL. SQLITE_ERROR (1), a mistake
# in the SQL such as a missing column, is not among them.
SQLITE_OUTAGES = {5, 6, 7, 8, 10, 13, 14, 15}
PG_READ_ONLY_TRANSACTION = "25006"


def is_outage(error: BaseException) -> bool:
    """Whether a database error means "retry later" (unreachable, disconnected, full disk,
    read-only, locked) rather than a mistake in our own SQL, which must stay a 500."""
    if isinstance(error, Unwritable | sqlalchemy.exc.TimeoutError):  # TimeoutError: pool full
        return True
    if isinstance(error, sqlalchemy.exc.DBAPIError):
        if error.connection_invalidated:
            return True
        error = error.orig
    if isinstance(error, sqlite3.Error):
        return (getattr(error, "sqlite_errorcode", 0) & 0xFF) in SQLITE_OUTAGES
    if isinstance(error, psycopg.Error):
        return (
            isinstance(error, psycopg.OperationalError)
            or error.sqlstate == PG_READ_ONLY_TRANSACTION
        )
    return False
