"""The storage layer's face: every read and write the endpoints make, on SQLite or PostgreSQL.

A thin facade over api/storage/ (one module per concern; its package doc names them). The app
holds one Store (`init_app`); views reach it with `get_store()`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from flask import Flask, current_app
from sqlalchemy import select

from api.storage import archive, changelog, listing, migrate, tokens, webhooks, writes
from api.storage.changelog import Head
from api.storage.db import Database, utcnow
from api.storage.documents import Document
from api.storage.errors import (
    DATABASE_ERRORS,
    BadCursor,
    Gone,
    IdempotencyConflict,
    NotFound,
    PreconditionFailed,
    TooSlow,
    is_outage,
)
from api.storage.migrate import MIGRATIONS
from api.storage.models import Article, Base
from api.storage.watch import HeadWatch

log = logging.getLogger(__name__)

__all__ = [
    "Article",
    "BadCursor",
    "Base",
    "DATABASE_ERRORS",
    "Document",
    "Gone",
    "Head",
    "IdempotencyConflict",
    "MIGRATIONS",
    "NotFound",
    "PreconditionFailed",
    "Store",
    "TooSlow",
    "get_store",
    "init_app",
    "is_outage",
    "utcnow",
]


class Store:
    """Every read and write of Newswire's data."""

    def __init__(
        self,
        url: str,
        secret: str,
        default_language: str = "de",
        query_timeout: float = 5.0,
        sqlite_synchronous: str = "FULL",
    ):
        self.db = Database(url, query_timeout, sqlite_synchronous)
        self.engine = self.db.engine
        self.is_postgres = self.db.is_postgres
        self.cursors = listing.Cursors(secret)
        self.default_language = default_language
        listen_url = None
        if self.is_postgres:  # libpq's form of the URL, for the LISTEN connection
            listen_url = self.engine.url.set(drivername="postgresql")
            listen_url = listen_url.render_as_string(hide_password=False)
        self.watch = HeadWatch(self.head, listen_url)

    # --- the database -----------------------------------------------------------------

    def upgrade(self) -> None:
        migrate.upgrade(self.db)

    def fill_documents(self) -> None:
        migrate.fill_documents(self.db)

    def schema_revisions(self) -> tuple[str | None, str]:
        """(the database's schema revision or None, the newest): migrated when they agree."""
        return migrate.revisions(self.db)

    def writing(self):
        """One serialised write transaction (Database.writing), for tools and tests."""
        return self.db.writing()

    def ping(self) -> None:
        self.db.ping()

    def health(self) -> str | None:
        """Why the database cannot serve just now (read, announce, write); None when it can."""
        now = utcnow()
        try:
            head = self.head(now)
        except DATABASE_ERRORS as exc:
            if not is_outage(exc):
                raise
            return "The database does not answer."
        try:
            if head.next_due is not None and head.next_due <= now:
                return "A scheduled article is due but the database refuses to write it."
            self.db.check_writable()
        except DATABASE_ERRORS as exc:
            if not is_outage(exc):
                raise
            return "The database answers but refuses writes."
        return None

    def close(self) -> None:
        self.watch.stop()
        self.db.close()

    def _query(self, sql: str, params: dict) -> list[tuple]:
        """One timed read on the thread's connection (Database.query)."""
        return self.db.query(sql, params)

    # --- the change log ---------------------------------------------------------------

    def head(self, now: datetime | None = None) -> Head:
        """The log's head, after announcing any scheduled article whose instant has come.

        When the database refuses that write (full disk, read-only, locked), the last head is
        returned: reads go on as they were, and /health reports the failure (`health`).
        """
        now = now or utcnow()
        head = changelog.read_head(self.db)
        if head.next_due is not None and head.next_due <= now:
            try:
                writes.announce_due(self.db, now)
            except DATABASE_ERRORS as exc:
                if not is_outage(exc):
                    raise
                log.warning("cannot announce scheduled articles, serving the last head: %s", exc)
                return head
            head = changelog.read_head(self.db)
        return head

    def wait_past(self, since: int, timeout: float) -> Head | None:
        """Wait until a change after `since` commits (the new head), or `timeout` seconds
        (None). A waiter holds no database connection (reads return theirs to the pool)."""
        return self.watch.wait_past(since, timeout)

    def changes_since(self, since: int, limit: int, base_url: str):
        return changelog.changes_since(self.db, since, limit, base_url)

    def sections(self) -> list[dict]:
        return changelog.sections(self.db)

    def tags(self) -> list[dict]:
        return changelog.tags(self.db)

    def recount_facets(self) -> None:
        with self.db.writing() as session:
            changelog.recount(session)

    # --- reading articles -------------------------------------------------------------

    def get_article(self, key: str, base_url: str, include_hidden: bool) -> Document:
        return listing.get_article(self.db, key, base_url, include_hidden)

    def list_articles(self, query: dict, base_url: str) -> tuple[list[Document], str | None]:
        return listing.list_articles(self.db, self.cursors, query, base_url)

    def list_sql(self, query: dict, limit: int, now: datetime) -> tuple[str, dict]:
        return listing.list_sql(self.db, self.cursors, query, limit, now)

    def archive_page(
        self,
        filters: dict,
        window: tuple[datetime, datetime],
        cursor: str | None,
        limit: int,
        base_url: str,
        now: datetime,
    ) -> archive.ArchivePage:
        """One page of a feed archive: articles published in the window, and its neighbours."""
        return archive.archive_page(
            self.db, self.cursors, filters, window, cursor, limit, base_url, now
        )

    def deletions(self, filters: dict, since: datetime, limit: int) -> list[tuple[str, datetime]]:
        """Articles deleted or unpublished lately, for tombstones."""
        return archive.deletions(self.db, filters, since, limit)

    def encode_cursor(self, published_at: datetime, article_id: str) -> str:
        return self.cursors.encode(published_at, article_id)

    def has_slug(self, slug: str) -> bool:
        with self.db.reading() as session:
            return session.scalar(select(Article.id).where(Article.slug == slug)) is not None

    def is_empty(self) -> bool:
        with self.db.reading() as session:
            return session.scalar(select(Article.id).limit(1)) is None

    # --- writing articles -------------------------------------------------------------

    def create_article(
        self, data: dict, base_url: str, idempotency: tuple[int, str, str] | None = None
    ) -> tuple[Document, bool]:
        return writes.create_article(self.db, data, base_url, self.default_language, idempotency)

    def update_article(self, key: str, data: dict, base_url: str, check_etag) -> Document:
        return writes.update_article(
            self.db, key, data, base_url, check_etag, self.default_language
        )

    def patch_article(
        self, key: str, merge: Callable[[dict], dict], base_url: str, check_etag
    ) -> Document:
        """Write `merge(the article's current input form)`: read, merged and written in one
        write transaction, so that concurrent edits of different fields all stay."""
        return writes.patch_article(
            self.db, key, merge, base_url, check_etag, self.default_language
        )

    def delete_article(self, key: str, base_url: str, check_etag) -> None:
        writes.delete_article(self.db, key, base_url, check_etag)

    # --- tokens -----------------------------------------------------------------------

    def create_token(self, name: str, expires_at: datetime | None = None) -> str:
        return tokens.create_token(self.db, name, expires_at)

    def token_id(self, raw: str) -> int | None:
        """A live token's id, or None (unknown, revoked or expired)."""
        return tokens.token_id(self.db, raw)

    def list_tokens(self) -> list[dict]:
        return tokens.list_tokens(self.db)

    def revoke_tokens(self, name: str) -> int:
        return tokens.revoke_tokens(self.db, name)

    # --- webhooks (delivery: api/delivery.py) --------------------------------------------

    def create_webhook(self, url: str, description: str | None, since: int | None) -> dict:
        return webhooks.create(self.db, url, description, since)

    def webhooks(self) -> list[dict]:
        return [webhooks.public(hook) for hook in webhooks.all_hooks(self.db)]

    def webhook(self, hook_id: str) -> dict | None:
        hook = webhooks.find(self.db, hook_id)
        return None if hook is None else webhooks.public(hook)

    def delete_webhook(self, hook_id: str) -> bool:
        return webhooks.remove(self.db, hook_id)

    def enable_webhook(self, hook_id: str) -> bool:
        return webhooks.enable(self.db, hook_id)

    def disable_webhook(self, hook_id: str, reason: str) -> bool:
        return webhooks.disable(self.db, hook_id, reason)

    def enabled_webhooks(self) -> list[str]:
        return webhooks.enabled_ids(self.db)

    def claim_webhook(self, hook_id: str, owner: str, lease: float):
        """The hook (with its secret) while `owner` holds its lease; None otherwise."""
        return webhooks.claim(self.db, hook_id, owner, lease)

    def release_webhook(self, hook_id: str, owner: str) -> None:
        webhooks.release(self.db, hook_id, owner)

    def webhook_delivered(self, hook_id: str, owner: str, seq: int) -> bool:
        return webhooks.delivered(self.db, hook_id, owner, seq)

    def webhook_failed(
        self, hook_id: str, owner: str, error: str, retry_in: float, give_up_after: float
    ) -> None:
        webhooks.failed(self.db, hook_id, owner, error, retry_in, give_up_after)

    def article_sections(self, article_ids: list[str]) -> dict[str, str | None]:
        return webhooks.sections_of(self.db, article_ids)


def init_app(app: Flask) -> Store:
    """Open the app's store from its settings; `get_store()` finds it during a request."""
    store = Store(
        app.config["DATABASE_URL"],
        secret=app.config["CURSOR_SECRET"],
        default_language=app.config["DEFAULT_LANGUAGE"],
        query_timeout=app.config["QUERY_TIMEOUT"],
        sqlite_synchronous=app.config["SQLITE_SYNCHRONOUS"],
    )
    app.extensions["store"] = store
    return store


def get_store() -> Store:
    """The current app's store."""
    return current_app.extensions["store"]
