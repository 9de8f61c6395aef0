"""The change log, its head, and what published articles are filed and counted under.

The log (`changes`) gives every visible change one place in a total order (db.py says why the
order holds) and keeps one row per article, its latest change, which still rebuilds exactly the
visible set from any ``since``. Published articles are also filed under their facets (tags,
authors, section, language prefixes) with their publication time, so that every list filter
reads an index in page order; the counts of visible articles per facet are kept by the same
code that logs visibility (`log`), so /v1/sections and /v1/tags never count the archive.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from api.storage.db import Database, as_utc
from api.storage.documents import Document, on_base
from api.storage.models import (
    Article,
    ArticleFacet,
    Change,
    FacetCount,
    Scheduled,
    is_published,
    is_visible,
)

CHANNEL = "newswire_changes"  # PostgreSQL NOTIFY channel of logged changes (see watch.py)
HEAD_SQL = (
    "SELECT (SELECT max(seq) FROM changes),"
    " (SELECT min(due_at) FROM scheduled),"
    " (SELECT at FROM changes ORDER BY seq DESC LIMIT 1)"
)
CHANGES_SQL = (
    "SELECT c.seq, c.kind, c.article_id, c.version, c.at, a.document FROM changes c"
    " LEFT JOIN articles a ON a.id = c.article_id AND c.kind = 'upsert'"
    " WHERE c.seq > %(since)s ORDER BY c.seq LIMIT %(limit)s"
)
FACET_COUNTS_SQL = (
    "SELECT value, label, count FROM facet_counts"
    " WHERE kind = %(kind)s AND count > 0 ORDER BY value"
)
# What `count` keeps, counted from scratch; migration 0004 runs the same statements.
RECOUNT_SQL = (
    "INSERT INTO facet_counts (kind, value, label, count)"
    " SELECT f.kind, f.value, NULL, count(*) FROM article_facets f"
    " JOIN articles a ON a.id = f.article_id WHERE a.in_stream GROUP BY f.kind, f.value",
    "UPDATE facet_counts SET label = (SELECT min(t.label) FROM article_tags t"
    " WHERE t.slug = facet_counts.value) WHERE kind = 'tag'",
    "UPDATE facet_counts SET label = (SELECT min(w.name) FROM article_authors w"
    " WHERE w.slug = facet_counts.value) WHERE kind = 'author'",
)


@dataclass(frozen=True)
class Head:
    """Where the change log stands: the key every cache is built on."""

    seq: int
    next_due: datetime | None  # the next scheduled instant, if any
    changed_at: datetime | None = None  # when the newest change happened


def read_head(db: Database) -> Head:
    """One small query per request, so it skips the ORM (see Database.query)."""
    seq, next_due, changed_at = db.query(HEAD_SQL, {})[0]
    return Head(seq or 0, as_utc(next_due), as_utc(changed_at))


def changes_since(
    db: Database, since: int, limit: int, base_url: str
) -> tuple[list[tuple[dict, Document | None]], int]:
    """The log after `since`: each change, with the public article for every upsert.

    Plain SQL on the thread's connection, like the list: a range of the primary key.
    """
    rows = db.query(CHANGES_SQL, {"since": since, "limit": limit})
    changes = [
        (
            {"seq": seq, "type": kind, "id": article_id, "version": version, "at": as_utc(at)},
            Document(on_base(document, base_url)) if kind == "upsert" else None,
        )
        for seq, kind, article_id, version, at, document in rows
    ]
    return changes, (rows[-1][0] if rows else since)


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


def facets(article: Article) -> Facets:
    """What a published article is filed under (see ArticleFacet); nothing otherwise."""
    if not is_published(article):
        return {}
    return facets_of(
        article.language,
        article.section,
        [(t.slug, t.label) for t in article.tags],
        [(a.slug, a.name) for a in article.authors],
    )


def file_facets(session: Session, article: Article) -> Facets:
    """File the article under its facets, replacing what it was filed under; returns them."""
    session.execute(delete(ArticleFacet).where(ArticleFacet.article_id == article.id))
    filed = facets(article)
    session.add_all(
        ArticleFacet(
            article_id=article.id, kind=kind, value=value, published_at=article.published_at
        )
        for kind, value in sorted(filed)
    )
    return filed


def filed_facets(session: Session, article_id: str) -> Facets:
    rows = session.execute(
        select(ArticleFacet.kind, ArticleFacet.value).where(ArticleFacet.article_id == article_id)
    )
    return {(kind, value): None for kind, value in rows}


def log(session: Session, article: Article, now: datetime, before: Facets, after: Facets) -> None:
    """Record the article's visible state in the change log, its schedule, and the counts
    of its facets (`before`: as filed until now; `after`: as filed by this write)."""
    session.flush()
    visible = is_visible(article, now)
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
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text(f"NOTIFY {CHANNEL}"))  # delivered on commit, to every instance
    count(session, before if counted else {}, after if article.in_stream else {})
    session.execute(delete(Scheduled).where(Scheduled.article_id == article.id))
    if is_published(article) and not visible:
        session.add(Scheduled(article_id=article.id, due_at=article.published_at))


def count(session: Session, before: Facets, after: Facets) -> None:
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


def recount(session: Session) -> None:
    """Count every facet afresh (for databases filled without the store, like bench's)."""
    session.execute(delete(FacetCount))
    for statement in RECOUNT_SQL:
        session.execute(text(statement))


def sections(db: Database) -> list[dict]:
    """Sections with visible articles, and how many (kept by `count`, not counted here)."""
    return [
        {"section": value, "count": n}
        for value, _, n in db.query(FACET_COUNTS_SQL, {"kind": "section"})
    ]


def tags(db: Database) -> list[dict]:
    return [
        {"tag": value, "label": label, "count": n}
        for value, label, n in db.query(FACET_COUNTS_SQL, {"kind": "tag"})
    ]
