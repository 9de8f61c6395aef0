"""The tables, their column types, and the rule of visibility (once, here)."""

from __future__ import annotations

from datetime import UTC, datetime

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
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, selectinload

# An article is visible when it is published, not deleted, and its instant has come. In SQL on
# `articles a`, that is PUBLISHED_SQL and `<published_at> <= %(now)s` on whichever table a query
# reads the instant from (see listing.py); a NULL instant never passes the comparison.
PUBLISHED_SQL = "a.status = 'published' AND a.deleted_at IS NULL"


def is_published(article) -> bool:
    """For an Article, or a row with its status, deleted_at and published_at."""
    return (
        article.status == "published"
        and article.deleted_at is None
        and article.published_at is not None
    )


def is_visible(article, now: datetime) -> bool:
    """Published, and its instant has come: what every reader may see."""
    return is_published(article) and article.published_at <= now


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

    # updated_at and deleted_at in the indexes a list walks let it check `updated_after`
    # without reading the table; the few articles updated since come from ix_articles_updated
    # (storage/filters.py). ix_articles_visible: a search match's visibility, read by id.
    __table_args__ = (
        Index("ix_articles_listing", "status", "published_at", "id", "deleted_at", "updated_at"),
        Index(
            "ix_articles_section",
            *("section", "status", "published_at", "id", "deleted_at", "updated_at"),
        ),
        Index("ix_articles_updated", "updated_at", "id"),
        Index("ix_articles_visible", "id", "status", "deleted_at", "published_at", "updated_at"),
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

    # recent deletions, newest first, for the feeds' tombstones (storage/archive.py)
    __table_args__ = (Index("ix_changes_kind_at", "kind", "at"),)


class Token(Base):
    __tablename__ = "tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # to the minute
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class IdempotentResponse(Base):
    __tablename__ = "idempotent_responses"

    token_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    article_id: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # the article as the first response carried it, so that a retry gets that response again
    document: Mapped[str | None] = mapped_column(Text)


def eager() -> tuple:
    """Loader options for writing or rendering whole articles: their lists in one query each."""
    return (
        selectinload(Article.tags),
        selectinload(Article.authors),
        selectinload(Article.related),
    )
