"""Reads of articles: one by id or slug, or a page of the visible ones by filters and cursor.

The list is the hottest uncached read, so it is plain SQL on the thread's connection
(Database.query): one keyset query on (published_at, id), which an index yields in page order.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from api.storage import filters, matching
from api.storage.db import Database, as_utc, utcnow
from api.storage.documents import Document, on_base
from api.storage.errors import BadCursor, Gone, NotFound
from api.storage.models import PUBLISHED_SQL, Article, Change, eager, is_visible
from schemas.fields import slugify_text, tag_slug


def check_key(key: str) -> None:
    """NotFound for an id or slug no article can have (PostgreSQL would refuse NUL)."""
    if len(key) > 200 or "\x00" in key:
        raise NotFound(key)


def by_key(stmt, key: str):
    """The article whose id or slug is `key`, its id first: a slug that equals another
    article's id (the schema refuses those now) never takes that article's place."""
    return (
        stmt.where(or_(Article.id == key, Article.slug == key))
        .order_by((Article.id == key).desc())
        .limit(1)
    )


def find(session: Session, key: str) -> Article:
    """An undeleted article by id or slug, with its lists loaded, for a write."""
    check_key(key)
    article = session.scalars(by_key(select(Article), key).options(*eager())).first()
    if article is None:
        raise NotFound(key)
    if article.deleted_at is not None:
        raise gone_or_not_found(session, article.id, key)
    return article


def get_article(db: Database, key: str, base_url: str, include_hidden: bool) -> Document:
    """One article by id or slug, as its public representation."""
    check_key(key)
    stmt = select(
        Article.id,
        Article.document,
        Article.updated_at,
        Article.deleted_at,
        Article.status,
        Article.published_at,
    )
    with db.engine.connect() as conn:
        row = conn.execute(by_key(stmt, key)).first()
        if row is not None and row.deleted_at is not None:
            raise gone_or_not_found(conn, row.id, key)
    if row is None:
        raise NotFound(key)
    if not include_hidden and not is_visible(row, utcnow()):
        raise NotFound(key)
    return Document(on_base(row.document, base_url), row.updated_at)


def gone_or_not_found(conn, article_id: str, key: str) -> Exception:
    """What a deleted article answers: Gone (410) if readers may have seen it, that is if
    it ever entered the change log (which keeps every such article's latest change, a
    `delete` at last); otherwise NotFound (404), as if it had never existed, so that the
    answer tells nobody a draft or an unseen scheduled article was there."""
    was_public = conn.scalar(select(exists().where(Change.article_id == article_id)))
    return Gone(key) if was_public else NotFound(key)


ID_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,64}")  # what an article id can look like (URL-safe)


class Cursors:
    """Signed list cursors: where the next page starts, (published_at, id) of the last item."""

    def __init__(self, secret: str):
        self.serializer = URLSafeSerializer(secret, salt="newswire.list-cursor")

    def encode(self, published_at: datetime, article_id: str) -> str:
        return self.serializer.dumps([published_at.isoformat(), article_id])

    def decode(self, cursor: str) -> tuple[datetime, str]:
        """(published_at, id) of a cursor we signed; BadCursor for anything else, even signed:
        two strings, an RFC 3339 time with an offset that is a valid UTC time, an id's shape."""
        try:
            payload = self.serializer.loads(cursor)
            if not (isinstance(payload, list) and len(payload) == 2):
                raise ValueError("not two items")
            published_at, article_id = payload
            if not (isinstance(published_at, str) and isinstance(article_id, str)):
                raise ValueError("not two strings")
            if not ID_SHAPE.fullmatch(article_id):
                raise ValueError("not an id")
            moment = datetime.fromisoformat(published_at)
            if moment.tzinfo is None:
                raise ValueError("no offset")
            return moment.astimezone(UTC), article_id
        except (BadSignature, ValueError, TypeError, UnicodeError, OverflowError) as exc:
            raise BadCursor(cursor) from exc


def list_articles(
    db: Database, cursors: Cursors, query: dict, base_url: str
) -> tuple[list[Document], str | None]:
    """A page of visible articles, newest first, and the cursor of the next page."""
    query = filters.narrow(db, query)
    if query.get("q"):
        return matching.list_matches(db, cursors, query, base_url, utcnow())
    limit = query.get("limit", 20)
    rows = db.query(*list_sql(db, cursors, query, limit, utcnow()))
    items = [Document(on_base(row[0], base_url)) for row in rows[:limit]]
    cursor = None
    if len(rows) > limit:
        _, published_at, article_id = rows[limit - 1]
        cursor = cursors.encode(as_utc(published_at), article_id)
    return items, cursor


def list_sql(
    db: Database,
    cursors: Cursors,
    query: dict,
    limit: int,
    now: datetime,
    oldest_first: bool = False,
) -> tuple[str, dict]:
    """The list as one keyset query on (published_at, id), in plain SQL for Database.query
    (a `q` is answered by the search index instead: matching.list_matches).

    Newest first, or with `oldest_first` the other way (the feed archives look forward with
    it). `published_from` (inclusive) is for the archives too; no query schema offers it.

    A tag, author or language filter reads ix_article_facets_listing from the first such
    value (the other values are checked by primary key); otherwise ix_articles_section (with
    a section) or ix_articles_listing. Either way an index yields the rows in page order.
    With `among` (filters.narrow), those few articles are read first and sorted.
    """
    facets = [("tag", tag_slug(tag)) for tag in query.get("tag") or []]
    if query.get("author"):
        facets.append(("author", slugify_text(query["author"])))
    if query.get("language"):
        facets.append(("language", query["language"]))
    where = [PUBLISHED_SQL]
    params: dict[str, Any] = {"now": db.db_time(now), "limit": limit + 1}
    among = query.get("among") is not None
    if among:  # the few articles updated since (filters.narrow), read first
        where.append(filters.among_sql(db, query, params))
    if facets:
        source = "article_facets f JOIN articles a ON a.id = f.article_id"
        if among and not db.is_postgres:
            source = f"{filters.AMONG_FIRST} CROSS JOIN article_facets f"
            where.append("f.article_id = a.id")
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
        if among and not db.is_postgres:
            source = filters.AMONG_FIRST
    if query.get("section"):
        where.append("a.section = %(section)s")
        params["section"] = query["section"]
    where += filters.date_sql(db, query, at, params)
    if query.get("cursor"):
        published_at, article_id = cursors.decode(query["cursor"])
        beyond = ">" if oldest_first else "<"
        where.append(f"({at}, {key}) {beyond} (%(cursor_at)s, %(cursor_id)s)")
        params["cursor_at"] = db.db_time(published_at)
        params["cursor_id"] = article_id
    # the rest of the visibility rule (models.is_visible), last: SQLite seeks the index from
    # the first upper bound it reads, so a cursor or published_before must come before it,
    # or a deep page would walk every row from now down to its own bound
    where.append(f"{at} <= %(now)s")
    order = "ASC" if oldest_first else "DESC"
    sql = (
        f"SELECT a.document, {at}, {key} FROM {source} WHERE "
        + " AND ".join(where)
        + f" ORDER BY {at} {order}, {key} {order} LIMIT %(limit)s"
    )
    return sql, params
