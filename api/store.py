"""The storage layer: SQLAlchemy models and every query. The only module that knows SQL.

The change log (`changes`) gives every visible change one place in a total order:

* PostgreSQL: every write transaction first takes one transaction-scoped advisory lock,
  then reads ``max(seq) + 1`` in a fresh READ COMMITTED statement and commits while still
  holding the lock. So seqs are handed out *and committed* in the same order: once a reader
  sees seq N, every seq below N is already committed, and no seq below N can appear later.
* SQLite: every write transaction starts with ``BEGIN IMMEDIATE``, which admits one writer
  at a time for the whole database, with the same consequence. WAL lets readers go on.

Every article keeps its public representation as JSON (`articles.document`), rendered when
it is written, so that a read is one indexed query and a join of stored strings. An article
shows the headline and link of the articles it relates to while they are visible, so a write
that changes one of those re-renders, versions and logs every article that links to it, and the
stream stays an exact copy. Published articles are also filed under their facets (tags,
authors, section, language prefixes) with their publication time, so that every list filter
reads an index in page order, and the counts of visible articles per facet are kept by the same
code that logs visibility, so /v1/sections and /v1/tags never count the archive.

The log keeps one row per article (its latest change), which still rebuilds exactly the
visible set from any ``since``. A scheduled article gets its upsert when a reader first
asks for the head of the log after its instant (``head()``), in a write like any other,
so its seq is above anything a reader has already seen.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import re
import secrets
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from marshmallow import ValidationError
from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    create_engine,
    delete,
    event,
    exists,
    func,
    or_,
    select,
    text,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    mapped_column,
    relationship,
    selectinload,
)

from schemas.article import ArticleOut
from schemas.fields import slugify_text, tag_slug

ADVISORY_LOCK_KEY = 7_420_001  # any constant; the same for every Newswire process
MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


HEAD_SQL = (
    "SELECT (SELECT max(seq) FROM changes),"
    " (SELECT min(due_at) FROM scheduled),"
    " (SELECT at FROM changes ORDER BY seq DESC LIMIT 1)"
)


FACET_COUNTS_SQL = (
    "SELECT value, label, count FROM facet_counts"
    " WHERE kind = %(kind)s AND count > 0 ORDER BY value"
)
# What `_count` keeps, counted from scratch; migration 0004 runs the same statements.
RECOUNT_SQL = (
    "INSERT INTO facet_counts (kind, value, label, count)"
    " SELECT f.kind, f.value, NULL, count(*) FROM article_facets f"
    " JOIN articles a ON a.id = f.article_id WHERE a.in_stream GROUP BY f.kind, f.value",
    "UPDATE facet_counts SET label = (SELECT min(t.label) FROM article_tags t"
    " WHERE t.slug = facet_counts.value) WHERE kind = 'tag'",
    "UPDATE facet_counts SET label = (SELECT min(w.name) FROM article_authors w"
    " WHERE w.slug = facet_counts.value) WHERE kind = 'author'",
)

CHANGES_SQL = (
    "SELECT c.seq, c.kind, c.article_id, c.version, c.at, a.document FROM changes c"
    " LEFT JOIN articles a ON a.id = c.article_id AND c.kind = 'upsert'"
    " WHERE c.seq > %(since)s ORDER BY c.seq LIMIT %(limit)s"
)


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in and out; SQLite would otherwise hand back naive ones."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            value = value.astimezone(UTC)
            if dialect.name == "sqlite":
                value = value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is not None:
            value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value


class Base(DeclarativeBase):
    pass


class Article(Base):
    __tablename__ = "articles"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    headline: Mapped[str] = mapped_column(Text)
    lead: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    body_text: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(35))
    section: Mapped[str | None] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(10))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer)
    canonical_url: Mapped[str | None] = mapped_column(Text)
    image: Mapped[dict | None] = mapped_column(JSON)
    # The public representation (ArticleOut) as JSON, its own links on BASE; see render_document.
    document: Mapped[str | None] = mapped_column(Text)
    # True while the article's latest entry in the change log is an upsert.
    in_stream: Mapped[bool] = mapped_column(Boolean, default=False)

    tags: Mapped[list[ArticleTag]] = relationship(
        order_by="ArticleTag.position", cascade="all, delete-orphan"
    )
    authors: Mapped[list[ArticleAuthor]] = relationship(
        order_by="ArticleAuthor.position", cascade="all, delete-orphan"
    )
    related: Mapped[list[RelatedItem]] = relationship(
        order_by="RelatedItem.position",
        cascade="all, delete-orphan",
        foreign_keys="RelatedItem.article_id",
    )

    __table_args__ = (
        Index("ix_articles_listing", "status", "published_at", "id"),
        Index("ix_articles_section", "section", "status", "published_at", "id"),
        Index("ix_articles_updated", "updated_at"),
    )


class ArticleTag(Base):
    __tablename__ = "article_tags"

    article_id: Mapped[str] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    slug: Mapped[str] = mapped_column(String(60), primary_key=True)
    label: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer)

    __table_args__ = (Index("ix_article_tags_slug", "slug", "article_id"),)


class ArticleAuthor(Base):
    __tablename__ = "article_authors"

    article_id: Mapped[str] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(400))
    slug: Mapped[str] = mapped_column(String(120))
    url: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_article_authors_slug", "slug", "article_id"),)


class RelatedItem(Base):
    __tablename__ = "article_related"

    article_id: Mapped[str] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str | None] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    target_id: Mapped[str | None] = mapped_column(ForeignKey("articles.id"), index=True)

    target: Mapped[Article | None] = relationship(foreign_keys=[target_id], lazy="joined")


class ArticleFacet(Base):
    """A value the list filters by (tag, author, language and its prefixes), with the article's
    published_at, for published articles only: a filtered list is then a keyset scan of
    ix_article_facets_listing, which costs the same whether the value is common or absent."""

    __tablename__ = "article_facets"

    article_id: Mapped[str] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    value: Mapped[str] = mapped_column(String(120), primary_key=True)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_article_facets_listing", "kind", "value", "published_at", "article_id"),
    )


class FacetCount(Base):
    """How many visible articles each facet value has, with its label: /v1/sections and
    /v1/tags read these few rows instead of counting a million articles. Kept by `_log`, which
    sees every change of visibility (writes, and scheduled articles at their instant)."""

    __tablename__ = "facet_counts"

    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    value: Mapped[str] = mapped_column(String(120), primary_key=True)
    label: Mapped[str | None] = mapped_column(String(400))
    count: Mapped[int] = mapped_column(Integer)


Facets = dict[tuple[str, str], str | None]  # (kind, value) -> label


def facets_of(
    language: str,
    section: str | None,
    tags: list[tuple[str, str]],
    authors: list[tuple[str, str]],
) -> Facets:
    """An article's facets, from its language, section, (slug, label) tags and (slug, name)
    authors. `de-AT-1996` is filed under de, de-AT and itself."""
    subtags = language.split("-")
    facets: Facets = {("language", "-".join(subtags[: n + 1])): None for n in range(len(subtags))}
    if section:
        facets[("section", section)] = None
    facets.update({("tag", slug): label for slug, label in tags})
    facets.update({("author", slug): name for slug, name in authors})
    return facets


class Scheduled(Base):
    """Published articles whose instant has not come yet: the head finds the next one here."""

    __tablename__ = "scheduled"

    article_id: Mapped[str] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class Change(Base):
    __tablename__ = "changes"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    article_id: Mapped[str] = mapped_column(String(36), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    version: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class Token(Base):
    __tablename__ = "tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class IdempotentResponse(Base):
    __tablename__ = "idempotent_responses"

    token_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    article_id: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # the article as the first response carried it, so that a retry gets that response again
    document: Mapped[str | None] = mapped_column(Text)


# --- errors the endpoints turn into HTTP answers -------------------------------------------


class NotFound(Exception):
    """No article has this id or slug."""


class Gone(Exception):
    """The article existed and was deleted."""


class PreconditionFailed(Exception):
    """The caller's If-Match no longer matches the article."""


class IdempotencyConflict(Exception):
    """An Idempotency-Key was reused for a different request."""


class BadCursor(Exception):
    """A list cursor that this server did not sign."""


class TooSlow(Exception):
    """A read ran past the query time limit and was stopped."""


@dataclass(frozen=True)
class Head:
    """Where the change log stands: the key every cache is built on."""

    seq: int
    next_due: datetime | None  # the next scheduled instant, if any
    changed_at: datetime | None = None  # when the newest change happened


BASE = "\x00"  # stands for the base URL in stored documents; no field may contain NUL
ARTICLE_OUT = ArticleOut()


def render_document(public: dict) -> str:
    """An article's public JSON as it is stored, its links on BASE (see `on_base`)."""
    return json.dumps(ARTICLE_OUT.dump(public), ensure_ascii=False, separators=(",", ":"))


def on_base(document: str, base_url: str) -> str:
    r"""The stored document with the request's base URL where it has BASE.

    JSON text holds the sequence `"\u0000` only where a string begins with NUL: a quote inside a
    string is always escaped, and the schemas refuse control characters in every field, so
    only the links written on BASE begin that way.
    """
    return document.replace('"\\u0000', json_base(base_url))


@functools.lru_cache(maxsize=64)
def json_base(base_url: str) -> str:
    """The opening quote and base URL as they appear in JSON text (a base rarely changes)."""
    return json.dumps(base_url, ensure_ascii=False)[:-1]


@dataclass(frozen=True)
class Document:
    """An article's public representation, ready to send: UTF-8 JSON on the request's base."""

    json: str
    updated_at: datetime | None = None  # for Last-Modified; lists leave it out

    @property
    def body(self) -> bytes:
        return self.json.encode()

    def data(self) -> dict:
        """As a dict, with its dates as datetimes (for feeds and pages)."""
        data = json.loads(self.json)
        for name in ("published_at", "created_at", "updated_at"):
            if data.get(name):
                data[name] = datetime.fromisoformat(data[name])
        return data


def check_key(key: str) -> None:
    """NotFound for an id or slug no article can have (PostgreSQL would refuse NUL)."""
    if len(key) > 200 or "\x00" in key:
        raise NotFound(key)


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value) -> datetime | None:
    """Aggregates bypass UTCDateTime: SQLite hands them back as naive datetimes or text."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class Store:
    """Every read and write of Newswire's data, on SQLite or PostgreSQL."""

    def __init__(
        self, url: str, secret: str, default_language: str = "de", query_timeout: float = 5.0
    ):
        self.engine = make_engine(url)
        self.query_timeout = query_timeout  # seconds a `_query` read may run
        self.secret = secret.encode()
        self.default_language = default_language
        self.is_postgres = self.engine.dialect.name == "postgresql"
        self.local = threading.local()

    # --- sessions ----------------------------------------------------------------------

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

    def upgrade(self) -> None:
        """Create the schema, or migrate it to the newest revision (Alembic)."""
        from alembic import command
        from alembic.config import Config
        from alembic.runtime.migration import MigrationContext

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with self.engine.begin() as connection:
            before = MigrationContext.configure(connection).get_current_revision()
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
        if before == "0001":  # articles written before they stored their documents
            self.fill_documents()

    def fill_documents(self) -> None:
        """Render the stored representation of every article that has none yet (revision 0002)."""
        now = utcnow()
        with self.writing() as session:
            missing = select(Article).where(Article.document.is_(None)).options(*self._eager())
            for article in session.scalars(missing):
                article.document = render_document(self._public(article, BASE, now))

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(select(1))

    # --- visibility and the change log ------------------------------------------------

    def head(self, now: datetime | None = None) -> Head:
        """The log's head, after announcing any scheduled article whose instant has come."""
        now = now or utcnow()
        row = self._read_head()
        if row.next_due is not None and row.next_due <= now:
            with self.writing() as session:
                due = session.scalars(
                    select(Article)
                    .join(Scheduled, Scheduled.article_id == Article.id)
                    .where(Scheduled.due_at <= now)
                ).all()
                for article in due:
                    self._settle(session, article, now)
            row = self._read_head()
        return row

    def _read_head(self) -> Head:
        """One small query per request, so it skips the ORM (see `_query`)."""
        seq, next_due, changed_at = self._query(HEAD_SQL, {})[0]
        return Head(seq or 0, as_utc(next_due), as_utc(changed_at))

    def _query(self, sql: str, params: dict) -> list[tuple]:
        """Run one read-only statement on a DB-API connection that the thread keeps.

        For the few reads on every request's path, where SQLAlchemy's own work would cost more
        than the query. `sql` uses %(name)s parameters; times go through `_db_time`. A read
        that runs past `query_timeout` is stopped (TooSlow), so that no query string, such as
        a `q` no article matches, can hold a worker while it reads the whole archive.
        """
        if not self.is_postgres:
            sql = sqlite_paramstyle(sql)
        for attempt in (1, 2):
            conn = getattr(self.local, "connection", None)
            if conn is None:
                conn = self.local.connection = self._read_connection()
            self.local.deadline = time.monotonic() + self.query_timeout
            try:
                cursor = conn.cursor()
                cursor.execute(sql, params)
                rows = cursor.fetchall()
                cursor.close()
                return rows
            except Exception as exc:
                if self._stopped(exc):
                    raise TooSlow() from exc
                self.local.connection = None
                conn.invalidate()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _read_connection(self):
        """A DB-API connection of the thread's own, held out of the pool, with a time limit."""
        conn = self.engine.raw_connection()
        driver = conn.driver_connection
        if self.is_postgres:
            driver.autocommit = True  # no transaction left idle
            milliseconds = max(1, round(self.query_timeout * 1000))
            driver.execute(f"SET statement_timeout = {milliseconds}")
        else:
            local = self.local
            # SQLite calls this every 1,000 instructions; a true answer interrupts the query
            driver.set_progress_handler(lambda: time.monotonic() > local.deadline, 1000)
        conn.detach()  # it holds no slot of the pool, and closes with the thread
        return conn

    def _stopped(self, exc: Exception) -> bool:
        """Whether `exc` is the time limit stopping a read (not a lost connection)."""
        if self.is_postgres:
            return isinstance(exc, psycopg.errors.QueryCanceled)
        return isinstance(exc, sqlite3.OperationalError) and time.monotonic() > self.local.deadline

    def _db_time(self, moment: datetime):
        """A time as a parameter of `_query`: what UTCDateTime would store."""
        if self.is_postgres:
            return moment.astimezone(UTC)
        return moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")

    def close(self) -> None:
        """Release every connection (tests and tools that open many stores)."""
        conn = getattr(self.local, "connection", None)
        if conn is not None:
            conn.close()
            self.local.connection = None
        self.engine.dispose()

    def _log(
        self, session: Session, article: Article, now: datetime, before: Facets, after: Facets
    ) -> None:
        """Record the article's visible state in the change log, its schedule, and the counts
        of its facets (`before`: as filed until now; `after`: as filed by this write)."""
        session.flush()
        visible = self._is_visible(article, now)
        counted = article.in_stream
        if visible or article.in_stream:  # drafts and unseen scheduled ones leave no trace
            seq = (session.scalar(select(func.max(Change.seq))) or 0) + 1
            session.execute(delete(Change).where(Change.article_id == article.id))
            session.add(
                Change(
                    seq=seq,
                    article_id=article.id,
                    kind="upsert" if visible else "delete",
                    version=article.version,
                    at=now,
                )
            )
            article.in_stream = visible
        self._count(session, before if counted else {}, after if article.in_stream else {})
        session.execute(delete(Scheduled).where(Scheduled.article_id == article.id))
        if (
            article.status == "published"
            and article.deleted_at is None
            and article.published_at is not None
            and not visible
        ):
            session.add(Scheduled(article_id=article.id, due_at=article.published_at))

    def _settle(self, session: Session, article: Article, now: datetime) -> None:
        """Store the article's representation and log it; then refresh the articles linking to it.

        Those show its headline and link while it is visible, so each whose representation
        changes gets a new version and its own change. (They show nothing of their own related
        items' links, so this goes one step deep.) Deleting an article removes the links to it.
        """
        session.flush()
        session.refresh(article)
        before = self._filed_facets(session, article.id)
        after = self._file_facets(session, article)
        article.document = render_document(self._public(article, BASE, now))
        self._log(session, article, now, before, after)
        referrers = session.scalars(
            select(Article)
            .where(
                Article.deleted_at.is_(None),
                Article.id != article.id,
                exists().where(
                    RelatedItem.article_id == Article.id, RelatedItem.target_id == article.id
                ),
            )
            .options(*self._eager())
        ).all()
        for other in referrers:
            if article.deleted_at is not None:
                other.related = [r for r in other.related if r.target_id != article.id]
            if render_document(self._public(other, BASE, now)) != other.document:
                other.version += 1
                other.updated_at = now
                other.document = render_document(self._public(other, BASE, now))
                facets = self._facets(other)  # unchanged by this write
                self._log(session, other, now, facets, facets)

    @staticmethod
    def _facets(article: Article) -> Facets:
        """What a published article is filed under (see ArticleFacet); nothing otherwise."""
        if article.status != "published" or article.deleted_at is not None:
            return {}
        return facets_of(
            article.language,
            article.section,
            [(t.slug, t.label) for t in article.tags],
            [(a.slug, a.name) for a in article.authors],
        )

    def _file_facets(self, session: Session, article: Article) -> Facets:
        """File the article under its facets, replacing what it was filed under; returns them."""
        session.execute(delete(ArticleFacet).where(ArticleFacet.article_id == article.id))
        facets = self._facets(article)
        session.add_all(
            ArticleFacet(
                article_id=article.id, kind=kind, value=value, published_at=article.published_at
            )
            for kind, value in sorted(facets)
        )
        return facets

    @staticmethod
    def _filed_facets(session: Session, article_id: str) -> Facets:
        rows = session.execute(
            select(ArticleFacet.kind, ArticleFacet.value).where(
                ArticleFacet.article_id == article_id
            )
        )
        return {(kind, value): None for kind, value in rows}

    @staticmethod
    def _count(session: Session, before: Facets, after: Facets) -> None:
        """Move the facet counts from an article's counted facets to its new ones."""
        for key in before.keys() | after.keys():
            delta = (key in after) - (key in before)
            label = after.get(key)  # the spelling it was most recently written with
            if delta == 0 and label is None:
                continue
            row = session.get(FacetCount, key)
            if row is None:
                row = FacetCount(kind=key[0], value=key[1], label=None, count=0)
                session.add(row)
            row.count += delta
            if label is not None:
                row.label = label

    def changes_since(
        self, since: int, limit: int, base_url: str
    ) -> tuple[list[tuple[dict, Document | None]], int]:
        """The log after `since`: each change, with the public article for every upsert.

        Plain SQL on the thread's connection, like the list: a range of the primary key.
        """
        rows = self._query(CHANGES_SQL, {"since": since, "limit": limit})
        changes = [
            (
                {"seq": seq, "type": kind, "id": article_id, "version": version, "at": as_utc(at)},
                Document(on_base(document, base_url)) if kind == "upsert" else None,
            )
            for seq, kind, article_id, version, at, document in rows
        ]
        return changes, (rows[-1][0] if rows else since)

    # --- reading articles -------------------------------------------------------------

    @staticmethod
    def _eager():
        return (
            selectinload(Article.tags),
            selectinload(Article.authors),
            selectinload(Article.related),
        )

    def get_article(self, key: str, base_url: str, include_hidden: bool) -> Document:
        """One article by id or slug, as its public representation."""
        check_key(key)
        stmt = select(
            Article.document,
            Article.updated_at,
            Article.deleted_at,
            Article.status,
            Article.published_at,
        ).where(or_(Article.id == key, Article.slug == key))
        with self.engine.connect() as conn:
            row = conn.execute(stmt.limit(1)).first()
        if row is None:
            raise NotFound(key)
        if row.deleted_at is not None:
            raise Gone(key)
        if not include_hidden and not self._is_visible(row, utcnow()):
            raise NotFound(key)
        return Document(on_base(row.document, base_url), row.updated_at)

    def _find(self, session: Session, key: str) -> Article:
        check_key(key)
        article = session.scalars(
            select(Article)
            .where(or_(Article.id == key, Article.slug == key))
            .options(*self._eager())
        ).first()
        if article is None:
            raise NotFound(key)
        if article.deleted_at is not None:
            raise Gone(key)
        return article

    @staticmethod
    def _is_visible(article, now: datetime) -> bool:
        """For an Article, or a row with its status, deleted_at and published_at."""
        return (
            article.status == "published"
            and article.deleted_at is None
            and article.published_at is not None
            and article.published_at <= now
        )

    def list_articles(self, query: dict, base_url: str) -> tuple[list[Document], str | None]:
        """A page of visible articles, newest first, and the cursor of the next page."""
        limit = query.get("limit", 20)
        rows = self._query(*self.list_sql(query, limit, utcnow()))
        items = [Document(on_base(row[0], base_url)) for row in rows[:limit]]
        cursor = None
        if len(rows) > limit:
            _, published_at, article_id = rows[limit - 1]
            cursor = self.encode_cursor(as_utc(published_at), article_id)
        return items, cursor

    def list_sql(self, query: dict, limit: int, now: datetime) -> tuple[str, dict]:
        """The list as one keyset query on (published_at, id), in plain SQL for `_query`.

        The hottest uncached read, so it skips SQLAlchemy's statement building. A tag, author
        or language filter reads ix_article_facets_listing from the first such value (the
        other values are checked by primary key); otherwise ix_articles_section (with a
        section) or ix_articles_listing. Either way an index yields the rows in page order.
        """
        facets = [("tag", tag_slug(tag)) for tag in query.get("tag") or []]
        if query.get("author"):
            facets.append(("author", slugify_text(query["author"])))
        if query.get("language"):
            facets.append(("language", query["language"]))
        where = ["a.status = 'published'", "a.deleted_at IS NULL"]
        params: dict[str, Any] = {"now": self._db_time(now), "limit": limit + 1}
        if facets:
            source = "article_facets f JOIN articles a ON a.id = f.article_id"
            at, key = "f.published_at", "f.article_id"
            for i, (kind, value) in enumerate(facets):
                params[f"kind{i}"], params[f"value{i}"] = kind, value
                if i == 0:
                    where += ["f.kind = %(kind0)s", "f.value = %(value0)s"]
                else:
                    where.append(
                        f"EXISTS (SELECT 1 FROM article_facets f{i} WHERE f{i}.article_id = a.id"
                        f" AND f{i}.kind = %(kind{i})s AND f{i}.value = %(value{i})s)"
                    )
        else:
            source, at, key = "articles a", "a.published_at", "a.id"
        where.append(f"{at} <= %(now)s")
        if query.get("section"):
            where.append("a.section = %(section)s")
            params["section"] = query["section"]
        for i, word in enumerate((query.get("q") or "").split()):
            # plain substring search; a full-text index is the search issue's job. Both sides
            # are folded by the database (SQLite's lower() folds ASCII letters only).
            like = (
                "a.{0} ILIKE %(q{1})s ESCAPE '\\'"
                if self.is_postgres
                else "lower(a.{0}) LIKE lower(%(q{1})s) ESCAPE '\\'"
            )
            columns = ("headline", "lead", "body_text")
            where.append("(" + " OR ".join(like.format(c, i) for c in columns) + ")")
            escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            params[f"q{i}"] = f"%{escaped}%"
        for name, condition in (
            ("published_after", f"{at} > %(published_after)s"),
            ("published_before", f"{at} < %(published_before)s"),
            ("updated_after", "a.updated_at > %(updated_after)s"),
        ):
            if query.get(name):
                where.append(condition)
                params[name] = self._db_time(query[name])
        if query.get("cursor"):
            published_at, article_id = self.decode_cursor(query["cursor"])
            where.append(f"({at}, {key}) < (%(cursor_at)s, %(cursor_id)s)")
            params["cursor_at"] = self._db_time(published_at)
            params["cursor_id"] = article_id
        sql = (
            f"SELECT a.document, {at}, {key} FROM {source} WHERE "
            + " AND ".join(where)
            + f" ORDER BY {at} DESC, {key} DESC LIMIT %(limit)s"
        )
        return sql, params

    def encode_cursor(self, published_at: datetime, article_id: str) -> str:
        payload = json.dumps([published_at.isoformat(), article_id], separators=(",", ":"))
        data = base64.urlsafe_b64encode(payload.encode()).rstrip(b"=")
        signature = hmac.new(self.secret, data, hashlib.sha256).digest()[:12]
        return (data + b"." + base64.urlsafe_b64encode(signature).rstrip(b"=")).decode()

    def decode_cursor(self, cursor: str) -> tuple[datetime, str]:
        try:
            data, signature = cursor.encode("ascii").split(b".")
            expected = hmac.new(self.secret, data, hashlib.sha256).digest()[:12]
            given = base64.urlsafe_b64decode(signature + b"=" * (-len(signature) % 4))
            if not hmac.compare_digest(expected, given):
                raise BadCursor(cursor)
            payload = base64.urlsafe_b64decode(data + b"=" * (-len(data) % 4))
            published_at, article_id = json.loads(payload)
            return datetime.fromisoformat(published_at), str(article_id)
        except BadCursor:
            raise
        except (ValueError, TypeError, UnicodeError) as exc:
            raise BadCursor(cursor) from exc

    def _public(self, article: Article, base_url: str, now: datetime) -> dict:
        """The representation every reader sees (ArticleOut describes it)."""
        related = []
        for item in article.related:
            if item.target_id is None:
                related.append({"title": item.title, "url": item.url})
            elif item.target is not None and self._is_visible(item.target, now):
                related.append(
                    {
                        "title": item.target.headline,
                        "url": article_url(item.target, base_url),
                        "article": item.target_id,
                    }
                )
        return {
            "id": article.id,
            "slug": article.slug,
            "url": article_url(article, base_url),
            "headline": article.headline,
            "lead": article.lead,
            "body": article.body,
            "body_text": article.body_text,
            "related": related,
            "language": article.language,
            "section": article.section,
            "tags": [tag.label for tag in article.tags],
            "authors": [
                {"name": a.name, "url": a.url} if a.url else {"name": a.name}
                for a in article.authors
            ],
            "image": article.image,
            "status": article.status,
            "published_at": article.published_at,
            "created_at": article.created_at,
            "updated_at": article.updated_at,
            "version": article.version,
        }

    def input_form(self, article_id: str) -> dict:
        """The article as a client would write it: the base a merge patch applies to."""
        with self.reading() as session:
            article = self._find(session, article_id)
            form: dict[str, Any] = {
                "slug": article.slug,
                "headline": article.headline,
                "lead": article.lead,
                "body": article.body,
                "related": [
                    {"article": r.target_id} if r.target_id else {"url": r.url, "title": r.title}
                    for r in article.related
                ],
                "language": article.language,
                "section": article.section,
                "tags": [t.label for t in article.tags],
                "authors": [
                    {"name": a.name, "url": a.url} if a.url else {"name": a.name}
                    for a in article.authors
                ],
                "image": article.image,
                "status": article.status,
                "published_at": article.published_at.isoformat().replace("+00:00", "Z")
                if article.published_at
                else None,
                "canonical_url": article.canonical_url,
            }
        return form

    # --- writing articles -------------------------------------------------------------

    def create_article(
        self,
        data: dict,
        base_url: str,
        idempotency: tuple[int, str, str] | None = None,
    ) -> tuple[Document, bool]:
        """Store a new article; with an idempotency key, a retry returns the first one.

        Returns the public article and whether it was created by this call.
        """
        now = utcnow()
        with self.writing() as session:
            if idempotency:
                token_id, key, request_hash = idempotency
                earlier = session.get(IdempotentResponse, (token_id, key))
                if earlier is not None:
                    if earlier.request_hash != request_hash:
                        raise IdempotencyConflict(key)
                    if earlier.document is not None:
                        return Document(
                            on_base(earlier.document, base_url), earlier.created_at
                        ), False
                    article = session.get(Article, earlier.article_id)  # kept before revision 0005
                    if article is None or article.deleted_at is not None:
                        raise Gone(earlier.article_id)
                    return self._document(article, base_url), False
            article = Article(
                id=new_article_id(),
                created_at=now,
                version=0,
                in_stream=False,
            )
            self._apply(session, article, data, now)
            session.add(article)
            self._settle(session, article, now)
            if idempotency:
                session.add(
                    IdempotentResponse(
                        token_id=idempotency[0],
                        key=idempotency[1],
                        request_hash=idempotency[2],
                        article_id=article.id,
                        created_at=now,
                        document=article.document,
                    )
                )
            return self._document(article, base_url), True

    def update_article(self, article_id: str, data: dict, base_url: str, check_etag) -> Document:
        """Replace an article's content; `check_etag(current_document)` guards lost updates."""
        now = utcnow()
        with self.writing() as session:
            article = self._find(session, article_id)
            check_etag(self._document(article, base_url))
            self._apply(session, article, data, now)
            self._settle(session, article, now)
            return self._document(article, base_url)

    def delete_article(self, article_id: str, base_url: str, check_etag) -> None:
        now = utcnow()
        with self.writing() as session:
            article = self._find(session, article_id)
            check_etag(self._document(article, base_url))
            article.deleted_at = now
            article.updated_at = now
            article.version += 1
            self._settle(session, article, now)

    @staticmethod
    def _document(article: Article, base_url: str) -> Document:
        return Document(on_base(article.document, base_url), article.updated_at)

    def _apply(self, session: Session, article: Article, data: dict, now: datetime) -> None:
        """Copy validated input onto the article (the schema already checked every field)."""
        self._check_related(session, article.id, data.get("related") or [])
        if data.get("slug"):
            if data["slug"] != article.slug:
                article.slug = self._free_slug(session, data["slug"], article.id)
        elif not article.slug:
            base = slugify_text(data["headline"]) or "artikel"
            article.slug = self._free_slug(session, base, article.id)
        article.headline = data["headline"]
        article.lead = data["lead"]
        article.body = data["body"]
        article.body_text = data["body_text"]
        article.language = data.get("language") or self.default_language
        article.section = data.get("section")
        article.canonical_url = data.get("canonical_url")
        article.image = data.get("image")
        article.status = data.get("status") or "draft"
        if data.get("published_at") is not None:
            article.published_at = data["published_at"]
        elif article.status == "published" and article.published_at is None:
            article.published_at = now  # the moment of first publication
        article.updated_at = now
        article.version = (article.version or 0) + 1
        article.tags = [
            ArticleTag(slug=tag["slug"], label=tag["label"], position=i)
            for i, tag in enumerate(data.get("tags") or [])
        ]
        article.authors = [
            ArticleAuthor(
                position=i, name=a["name"], url=a.get("url"), slug=slugify_text(a["name"])
            )
            for i, a in enumerate(data.get("authors") or [])
        ]
        article.related = [
            RelatedItem(
                position=i,
                target_id=item.get("article"),
                url=item.get("url"),
                title=item.get("title"),
            )
            for i, item in enumerate(data.get("related") or [])
        ]

    @staticmethod
    def _check_related(session: Session, article_id: str | None, related: list[dict]) -> None:
        errors: dict[int, dict] = {}
        for i, item in enumerate(related):
            target = item.get("article")
            if target is None:
                continue
            if target == article_id:
                errors[i] = {"article": ["An article cannot be related to itself."]}
                continue
            found = session.scalar(
                select(Article.id).where(Article.id == target, Article.deleted_at.is_(None))
            )
            if found is None:
                errors[i] = {"article": [f"No article with id {target!r}."]}
        if errors:
            raise ValidationError({"related": errors})

    @staticmethod
    def _free_slug(session: Session, wanted: str, article_id: str | None) -> str:
        """`wanted`, or `wanted-2`, `-3`… when another article already has it."""
        taken = set(
            session.scalars(
                select(Article.slug).where(
                    or_(Article.slug == wanted, Article.slug.like(wanted + "-%")),
                    Article.id != article_id,
                )
            )
        )
        slug, n = wanted, 1
        while slug in taken:
            n += 1
            suffix = f"-{n}"
            slug = wanted[: 120 - len(suffix)].rstrip("-") + suffix
        return slug

    # --- sections and tags ------------------------------------------------------------

    def sections(self) -> list[dict]:
        """Sections with visible articles, and how many (kept by `_count`, not counted here)."""
        return [
            {"section": value, "count": count}
            for value, _, count in self._query(FACET_COUNTS_SQL, {"kind": "section"})
        ]

    def tags(self) -> list[dict]:
        return [
            {"tag": value, "label": label, "count": count}
            for value, label, count in self._query(FACET_COUNTS_SQL, {"kind": "tag"})
        ]

    def recount_facets(self) -> None:
        """Count every facet afresh (for databases filled without the store, like bench's)."""
        with self.writing() as session:
            session.execute(delete(FacetCount))
            for statement in RECOUNT_SQL:
                session.execute(text(statement))

    def has_slug(self, slug: str) -> bool:
        with self.reading() as session:
            return session.scalar(select(Article.id).where(Article.slug == slug)) is not None

    def is_empty(self) -> bool:
        with self.reading() as session:
            return session.scalar(select(Article.id).limit(1)) is None

    # --- tokens -----------------------------------------------------------------------

    def create_token(self, name: str) -> str:
        """A new write token; only its hash is kept."""
        raw = "nw_" + secrets.token_urlsafe(32)
        with self.writing() as session:
            session.add(Token(name=name, token_hash=hash_token(raw), created_at=utcnow()))
        return raw

    def token_id(self, raw: str) -> int | None:
        with self.engine.connect() as conn:
            return conn.scalar(select(Token.id).where(Token.token_hash == hash_token(raw)))


@functools.lru_cache(maxsize=256)
def sqlite_paramstyle(sql: str) -> str:
    """%(name)s parameters as sqlite3 wants them, :name."""
    return re.sub(r"%\((\w+)\)s", r":\1", sql)


def article_url(article: Article, base_url: str) -> str:
    return article.canonical_url or f"{base_url}/articles/{article.slug}"


def new_article_id() -> str:
    return str(uuid.uuid4())


def make_engine(url: str) -> Engine:
    """An engine tuned for its database: WAL, busy timeout and BEGIN IMMEDIATE on SQLite."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_connection, _record):
            dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, below
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):
            immediate = conn.get_execution_options().get("sqlite_immediate")
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    return create_engine(url, pool_pre_ping=True)
