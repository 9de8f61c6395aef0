"""Reads of the feed archives (RFC 5005) and of recent deletions (RFC 6721 tombstones).

An archive page is a slice of the visible articles by publication time, read with the list's
own keyset query (listing.list_sql), so a page and its neighbours cost the same at any depth.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from api.storage import listing
from api.storage.db import Database, as_utc
from api.storage.documents import Document
from schemas.fields import tag_slug


@dataclass(frozen=True)
class ArchivePage:
    documents: list[Document]  # newest first
    older_cursor: str | None  # where the rest of the same window continues, if it does
    older: datetime | None  # else, the publication time of the newest older article
    newer: datetime | None  # the publication time of the oldest article after the window


def archive_page(
    db: Database,
    cursors: listing.Cursors,
    filters: dict,
    window: tuple[datetime, datetime],
    cursor: str | None,
    limit: int,
    base_url: str,
    now: datetime,
) -> ArchivePage:
    """The visible articles published in [start, end) that match `filters`, `limit` at a
    time from `cursor`, and where the neighbouring pages are."""
    start, end = window
    query = {**filters, "published_from": start, "published_before": end, "limit": limit}
    documents, older_cursor = listing.list_articles(
        db, cursors, {**query, "cursor": cursor}, base_url
    )
    older = (
        None if older_cursor else nearest(db, cursors, {**filters, "published_before": start}, now)
    )
    newer = nearest(db, cursors, {**filters, "published_from": end}, now, oldest_first=True)
    return ArchivePage(documents, older_cursor, older, newer)


def nearest(
    db: Database, cursors: listing.Cursors, query: dict, now: datetime, oldest_first: bool = False
) -> datetime | None:
    """The publication time of the first visible article of a list, or None."""
    rows = db.query(*listing.list_sql(db, cursors, query, 1, now, oldest_first))
    return as_utc(rows[0][1]) if rows else None


# Only an article's latest change is logged, so a `delete` row is an article that is deleted
# or unpublished now; republishing it replaces the row with an upsert.
DELETIONS_SQL = (
    "SELECT c.article_id, c.at FROM changes c JOIN articles a ON a.id = c.article_id"
    " WHERE {where} ORDER BY c.at DESC, c.seq DESC LIMIT %(limit)s"
)


def deletions(
    db: Database, filters: dict, since: datetime, limit: int
) -> list[tuple[str, datetime]]:
    """(id, when) of articles deleted or unpublished since `since`, newest first, that were
    filed under the feed's section, language and tags."""
    rows = db.query(*deletions_sql(db, filters, since, limit))
    return [(article_id, as_utc(at)) for article_id, at in rows]


def deletions_sql(db: Database, filters: dict, since: datetime, limit: int) -> tuple[str, dict]:
    """The deletions as one query that reads ix_changes_kind_at newest first."""
    where = ["c.kind = 'delete'", "c.at >= %(since)s"]
    params: dict[str, Any] = {"since": db.db_time(since), "limit": limit}
    if filters.get("section"):
        where.append("a.section = %(section)s")
        params["section"] = filters["section"]
    if filters.get("language"):
        where.append("(a.language = %(language)s OR a.language LIKE %(language_prefix)s)")
        params["language"] = filters["language"]
        params["language_prefix"] = filters["language"] + "-%"
    for i, tag in enumerate(filters.get("tag") or []):
        where.append(
            f"EXISTS (SELECT 1 FROM article_tags t{i} WHERE t{i}.article_id = a.id"
            f" AND t{i}.slug = %(tag{i})s)"
        )
        params[f"tag{i}"] = tag_slug(tag)
    return DELETIONS_SQL.format(where=" AND ".join(where)), params
