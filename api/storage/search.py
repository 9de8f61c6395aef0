"""The full-text index: filing an article's words at write time (matching.py searches it).

Published articles are filed in `article_search`, in the write's own transaction (`file`,
called by writes.settle): on SQLite an FTS5 table of German Snowball stems (PyStemmer), on
PostgreSQL a tsvector of the built-in `german` configuration with a GIN index. Headline, lead
and body are weighted in that order; the article's facets (section, tags, authors, language
prefixes) are filed as words of their own (`tag_fc-lindenau`), so a filter is one more term
of the same index lookup. Whether an article may be shown is decided at read time by the
visibility rule, as for every list.

Every entry's key orders the index newest first: the publication time in milliseconds,
times 2**15, plus a slot from the id (in id order; the next free one if taken). So the
newest matches are the index's own first rows, and a page of a search costs the same at any
archive size. Each entry also keeps the order it was first filed in (`filed`), which a
relevance cursor uses to leave out articles filed after its first page.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import Stemmer
from sqlalchemy import bindparam, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from api.storage.changelog import facets
from api.storage.db import as_utc
from api.storage.models import PUBLISHED_SQL, Article
from schemas.fields import slugify_text, tag_slug
from schemas.search import words

SLOTS = 1 << 15
LOWEST = -(2**62)  # below every key (the year 1 is about -2**60.8)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

local = threading.local()


# --- words ---------------------------------------------------------------------------


def stems(text_: str) -> str:
    """The text as FTS5 stores it: folded Snowball stems, separated by spaces."""
    stemmer = getattr(local, "stemmer", None)
    if stemmer is None:
        stemmer = local.stemmer = Stemmer.Stemmer("german")
    return " ".join(stemmer.stemWords(words(text_)))


def facet_words(article_facets: Iterable[tuple[str, str]]) -> list[str]:
    """`section_politik`, `tag_fc-lindenau`, `language_de-at`: never a word of a text."""
    return sorted(f"{kind}_{value.lower()}" for kind, value in article_facets)


def query_facets(query: dict) -> list[str]:
    """The facet words a list's filters ask for (the filters of listing.list_sql)."""
    wanted = [("tag", tag_slug(tag)) for tag in query.get("tag") or []]
    if query.get("author"):
        wanted.append(("author", slugify_text(query["author"])))
    if query.get("language"):
        wanted.append(("language", query["language"]))
    if query.get("section"):
        wanted.append(("section", query["section"]))
    return facet_words(wanted)


def first_key(published_at: datetime, article_id: str) -> int:
    """Where the article would like to be filed: its instant, then its id."""
    try:
        slot = int(article_id[:4], 16) >> 1
    except ValueError:
        slot = 0
    return key_of(published_at) + slot


def key_of(moment: datetime) -> int:
    """The lowest key of the millisecond of `moment`."""
    return ((moment.astimezone(UTC) - EPOCH) // timedelta(milliseconds=1)) * SLOTS


# --- filing (in the write's transaction) -------------------------------------------------


def file(session: Session, article: Article) -> None:
    """File the article's words while it is published, and only then (called by settle)."""
    is_postgres = session.get_bind().dialect.name == "postgresql"
    number = session.scalar(
        text("SELECT filed FROM article_search WHERE article_id = :id"), {"id": article.id}
    )
    unfile(session, article.id, is_postgres)
    filed = facets(article)  # empty unless the article is published
    if not filed:
        return
    if number is None:  # filed for the first time: after everything filed so far
        number = session.scalar(text("SELECT coalesce(max(filed), 0) + 1 FROM article_search"))
    key = free_key(session, first_key(article.published_at, article.id))
    row = entry(key, number, article.id, article.headline, article.lead, article.body_text, filed)
    insert(session.connection(), [row], is_postgres)


def free_key(session: Session, key: int) -> int:
    """The first key from `key` on that no entry holds, looked up 64 keys at a time."""
    while True:
        taken = set(
            session.scalars(
                text("SELECT key FROM article_search WHERE key >= :k AND key < :k + 64"),
                {"k": key},
            )
        )
        free = next((k for k in range(key, key + 64) if k not in taken), None)
        if free is not None:
            return free
        key += 64


def unfile(session: Session, article_id: str, is_postgres: bool) -> None:
    if not is_postgres:  # FTS5 forgets a row when told its words (an external-content table)
        session.execute(
            text(
                "INSERT INTO article_search_fts"
                " (article_search_fts, rowid, headline, lead, body, facets)"
                " SELECT 'delete', key, headline, lead, body, facets FROM article_search"
                " WHERE article_id = :id"
            ),
            {"id": article_id},
        )
    session.execute(text("DELETE FROM article_search WHERE article_id = :id"), {"id": article_id})


def entry(key, number, article_id, headline, lead, body_text, article_facets) -> dict:
    return {
        "key": key,
        "filed": number,
        "article_id": article_id,
        "headline": headline,
        "lead": lead,
        "body": body_text,
        "facets": facet_words(article_facets),
    }


def insert(conn: Connection, rows: list[dict], is_postgres: bool, with_fts: bool = True) -> None:
    """Store index entries; on SQLite also in FTS5 unless the caller rebuilds it afterwards."""
    if not rows:
        return
    if is_postgres:
        conn.execute(
            text(
                "INSERT INTO article_search (key, filed, article_id, document)"
                " VALUES (:key, :filed, :article_id,"
                " setweight(to_tsvector('german', :headline), 'A')"
                " || setweight(to_tsvector('german', :lead), 'B')"
                " || setweight(to_tsvector('german', :body), 'C')"
                " || array_to_tsvector(CAST(:facets AS text[])))"
            ),
            [{**row, **{c: pg_text(row[c]) for c in ("headline", "lead", "body")}} for row in rows],
        )
        return
    rows = [
        {**row, **{c: stems(row[c]) for c in ("headline", "lead", "body")}}
        | {"facets": " ".join(row["facets"])}
        for row in rows
    ]
    conn.execute(
        text(
            "INSERT INTO article_search (key, filed, article_id, headline, lead, body, facets)"
            " VALUES (:key, :filed, :article_id, :headline, :lead, :body, :facets)"
        ),
        rows,
    )
    if with_fts:
        conn.execute(
            text(
                "INSERT INTO article_search_fts (rowid, headline, lead, body, facets)"
                " VALUES (:key, :headline, :lead, :body, :facets)"
            ),
            rows,
        )


def pg_text(value: str) -> str:
    """What PostgreSQL's `german` configuration is given: the folded words (see schemas.search),
    joined so that its parser sees exactly these words."""
    return " ".join(words(value))


def fill(conn: Connection, echo: Callable[[str], None] = print, batch: int = 2000) -> int:
    """File every published article (a migration, or the bench loader after a bulk load).

    Reads the articles in publication order, so that equal instants get consecutive keys.
    """
    is_postgres = conn.dialect.name == "postgresql"
    total = conn.execute(
        text(f"SELECT count(*) FROM articles a WHERE {PUBLISHED_SQL}")
    ).scalar_one()
    done, last_key, after = 0, None, None
    while True:
        where = f"{PUBLISHED_SQL} AND a.published_at IS NOT NULL"
        params: dict[str, Any] = {"batch": batch}
        if after is not None:
            where += " AND (a.published_at, a.id) > (:at, :id)"
            params["at"], params["id"] = after
        rows = conn.execute(
            text(
                "SELECT a.id, a.headline, a.lead, a.body_text, a.published_at FROM articles a"
                f" WHERE {where} ORDER BY a.published_at, a.id LIMIT :batch"
            ),
            params,
        ).all()
        if not rows:
            break
        filed: dict[str, list[tuple[str, str]]] = {row.id: [] for row in rows}
        for article_id, kind, value in conn.execute(
            text(
                "SELECT article_id, kind, value FROM article_facets"
                " WHERE article_id IN :ids ORDER BY article_id"
            ).bindparams(bindparam("ids", expanding=True)),
            {"ids": list(filed)},
        ):
            filed[article_id].append((kind, value))
        entries = []
        for row in rows:
            key = first_key(as_utc(row.published_at), row.id)
            if last_key is not None and key <= last_key:
                key = last_key + 1
            last_key = key
            number = done + len(entries) + 1
            entries.append(
                entry(key, number, row.id, row.headline, row.lead, row.body_text, filed[row.id])
            )
        insert(conn, entries, is_postgres, with_fts=False)
        done += len(rows)
        after = (rows[-1].published_at, rows[-1].id)
        if done == total or done % 100_000 < batch:
            echo(f"  search index: {done:,} of {total:,} articles")
    if done and not is_postgres:
        echo("  search index: building the FTS5 index")
        conn.execute(text("INSERT INTO article_search_fts (article_search_fts) VALUES ('rebuild')"))
    return done
