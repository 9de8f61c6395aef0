"""The full-text index: filing an article's words at write time, and searching them.

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
archive size. With `sort=relevance`, the newest RANKED matches are ranked (bm25 on SQLite,
ts_rank_cd on PostgreSQL) and the cursor freezes that window, so pages stay put while
articles are added.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import Stemmer
from sqlalchemy import bindparam, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from api.storage.changelog import facets
from api.storage.db import Database, as_utc
from api.storage.documents import Document, on_base
from api.storage.errors import BadCursor
from api.storage.models import PUBLISHED_SQL, Article
from schemas.fields import slugify_text, tag_slug
from schemas.search import (
    RANKED,  # matches ranked by relevance: the newest ones
    SearchQuery,
    Term,
    words,
)

SLOTS = 1 << 15
LOWEST = -(2**62)  # below every key (the year 1 is about -2**60.8)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
BM25 = "bm25(article_search_fts, 10.0, 4.0, 1.0, 0.0)"  # headline, lead, body, facets
TS_WEIGHTS = "'{0.0, 0.1, 0.4, 1.0}'"  # D (facets), C (body), B (lead), A (headline)
UMLAUTS = (("ae", "ä"), ("oe", "ö"), ("ue", "ü"))
VARIANTS = 8  # spellings of one phrase tried on PostgreSQL (see pg_term)

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
    key = first_key(article.published_at, article.id)
    taken = set(
        session.scalars(
            text("SELECT key FROM article_search WHERE key >= :k AND key < :k + 64"), {"k": key}
        )
    )
    while key in taken:
        key += 1
    row = entry(key, number, article.id, article.headline, article.lead, article.body_text, filed)
    insert(session.connection(), [row], is_postgres)


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


# --- searching -------------------------------------------------------------------------


def fts_match(query: SearchQuery, wanted_facets: list[str]) -> str:
    """The FTS5 MATCH expression: every word a quoted stem, so nothing typed is an operator."""
    groups = " AND ".join(
        "(" + " OR ".join(fts_phrase(term) for term in group) + ")" for group in query.groups
    )
    for term in query.excluded:
        groups = f"({groups}) NOT {fts_phrase(term)}"
    # no column filter needed: a text's words never hold "_", every facet word does
    match = "(" + groups + ")"
    for word in wanted_facets:
        match += ' AND facets : "' + word.replace('"', '""') + '"'
    return match


def fts_phrase(term: Term) -> str:
    stemmed = stems(" ".join(term.words))
    return '"' + stemmed.replace('"', '""') + '"'


def pg_tsquery(query: SearchQuery, params: dict) -> tuple[str, str]:
    """The tsquery as SQL over bound parameters: (everything, the words that must match)."""
    counter = itertools.count()

    def term_sql(term: Term) -> str:
        parts = []
        for spelling in pg_spellings(term):
            name = f"w{next(counter)}"
            params[name] = spelling
            parts.append(f"phraseto_tsquery('german', %({name})s)")
        return "(" + " || ".join(parts) + ")"

    positive = " && ".join(
        "(" + " || ".join(term_sql(term) for term in group) + ")" for group in query.groups
    )
    everything = positive
    for term in query.excluded:
        everything = f"({everything}) && !!{term_sql(term)}"
    return everything, positive


def pg_spellings(term: Term) -> list[str]:
    """The phrase as typed, with `oe` as `ö` and with `ö` as `oe` (and so on), so that Koeln
    finds Köln and the other way round: PostgreSQL's Snowball folds `ö` to `o` but keeps `oe`.
    At most VARIANTS spellings of a phrase (the first words vary first)."""
    per_word = []
    for word in term.words:
        spellings = [word]
        umlauted, transliterated = word, word
        for plain, umlaut in UMLAUTS:
            umlauted = umlauted.replace(plain, umlaut)
            transliterated = transliterated.replace(umlaut, plain)
        for spelling in (umlauted, transliterated):
            if spelling not in spellings:
                spellings.append(spelling)
        per_word.append(spellings)
    combos = itertools.islice(itertools.product(*per_word), VARIANTS)
    return [" ".join(combo) for combo in combos]


def search_sql(
    db: Database,
    query: dict,
    now: datetime,
    hi: int,
    lo: int | None,
    limit: int,
    rank: bool,
    filed: int | None = None,
) -> tuple[str, dict]:
    """Matches of the query that pass every filter and the visibility rule, newest first:
    (document, key) rows, or (key, score) rows when `rank`."""
    search: SearchQuery = query["q"]
    params: dict[str, Any] = {"now": db.db_time(now), "limit": limit}
    wanted = query_facets(query)
    for name in ("published_after", "published_before"):
        if query.get(name):
            params[name] = db.db_time(query[name])
    if query.get("published_before"):
        hi = min(hi, key_of(query["published_before"]) + SLOTS - 1)
    if query.get("published_after"):
        lo = max(lo if lo is not None else LOWEST, key_of(query["published_after"]))
    params["hi"] = hi
    where = [PUBLISHED_SQL, "a.published_at <= %(now)s"]  # the visibility rule (models)
    if db.is_postgres:
        everything, positive = pg_tsquery(search, params)
        if wanted:
            params["facets"] = " & ".join("'" + w.replace("'", "''") + "'" for w in wanted)
            everything = f"({everything}) && CAST(%(facets)s AS tsquery)"
        source = "article_search s JOIN articles a ON a.id = s.article_id"
        key = "s.key"
        where += [f"s.document @@ ({everything})", f"numnode({positive}) > 0"]
        score = f"ts_rank_cd({TS_WEIGHTS}, s.document, {positive})"
    else:
        params["match"] = fts_match(search, wanted)
        source = (
            "article_search_fts JOIN article_search s ON s.key = article_search_fts.rowid"
            " JOIN articles a ON a.id = s.article_id"
        )
        key = "article_search_fts.rowid"
        where.append("article_search_fts MATCH %(match)s")
        score = f"-{BM25}"
    where.append(f"{key} <= %(hi)s")
    if lo is not None:
        where.append(f"{key} >= %(lo)s")
        params["lo"] = lo
    if filed is not None:
        where.append("s.filed <= %(filed)s")
        params["filed"] = filed
    if query.get("published_after"):
        where.append("a.published_at > %(published_after)s")
    if query.get("published_before"):
        where.append("a.published_at < %(published_before)s")
    if query.get("updated_after"):
        where.append("a.updated_at > %(updated_after)s")
        params["updated_after"] = db.db_time(query["updated_after"])
    columns = f"{key}, {score}" if rank else f"a.document, {key}"
    sql = (
        f"SELECT {columns} FROM {source} WHERE "
        + " AND ".join(where)
        + f" ORDER BY {key} DESC LIMIT %(limit)s"
    )
    return sql, params


def newest_first(db: Database, cursors, query: dict, now: datetime) -> tuple[list[str], Any]:
    """A page of matches, newest first: (documents, the next cursor's payload or None)."""
    limit = query.get("limit", 20)
    hi = key_of(now) + SLOTS - 1
    if query.get("cursor"):
        hi = min(hi, decode(cursors, query["cursor"], "s")[0] - 1)
    rows = db.query(*search_sql(db, query, now, hi, None, limit + 1, rank=False))
    payload = ["s", rows[limit - 1][1]] if len(rows) > limit else None
    return [row[0] for row in rows[:limit]], payload


def by_relevance(db: Database, cursors, query: dict, now: datetime) -> tuple[list[str], Any]:
    """A page of the newest RANKED matches in order of relevance, ties newest first.

    The first page fixes the window in its cursor: the keys from the RANKED-th newest match to
    now, of the articles filed by then (an edit keeps an article's place, `file`). Later pages
    rank the same window again and continue after the last article shown.
    """
    limit = query.get("limit", 20)
    if query.get("cursor"):
        lo, hi, filed, after, position = decode(cursors, query["cursor"], "r")
        bound = 2 * RANKED  # articles edited into matching since: ranked too, up to a bound
    else:
        lo, hi, after, position = None, key_of(now) + SLOTS - 1, None, 0
        filed = db.query("SELECT coalesce(max(filed), 0) FROM article_search", {})[0][0]
        bound = RANKED
    window = db.query(*search_sql(db, query, now, hi, lo, bound, rank=True, filed=filed))
    if lo is None:
        lo = window[-1][0] if len(window) == RANKED else LOWEST
    ranked = [key for key, _ in sorted(window, key=lambda row: (-row[1], -row[0]))]
    if after is not None and after in ranked:
        position = ranked.index(after) + 1
    page = ranked[position : position + limit]
    payload = None
    if position + limit < len(ranked):
        payload = ["r", lo, hi, filed, page[-1], position + limit]
    return documents(db, page), payload


def documents(db: Database, keys: list[int]) -> list[str]:
    """The stored documents of these index entries, in this order."""
    if not keys:
        return []
    params = {f"k{i}": key for i, key in enumerate(keys)}
    names = ", ".join(f"%({name})s" for name in params)
    rows = db.query(
        "SELECT s.key, a.document FROM article_search s JOIN articles a ON a.id = s.article_id"
        f" WHERE s.key IN ({names})",
        params,
    )
    found = dict(rows)
    return [found[key] for key in keys if key in found]


def decode(cursors, cursor: str, kind: str) -> list[int]:
    """The integers of a search cursor of this kind; BadCursor for anything else."""
    try:
        payload = cursors.serializer.loads(cursor)
    except Exception as exc:
        raise BadCursor(cursor) from exc
    if (
        not isinstance(payload, list)
        or not payload
        or payload[0] != kind
        or not all(type(v) is int and abs(v) < 2**63 for v in payload[1:])
        or len(payload) != (2 if kind == "s" else 6)
    ):
        raise BadCursor(cursor)
    return payload[1:]


def list_matches(
    db: Database, cursors, query: dict, base_url: str, now: datetime
) -> tuple[list[Document], str | None]:
    """A page of a search: newest first (`sort=published`, the default) or by relevance."""
    page = by_relevance if query.get("sort") == "relevance" else newest_first
    found, payload = page(db, cursors, query, now)
    cursor = cursors.serializer.dumps(payload) if payload else None
    return [Document(on_base(document, base_url)) for document in found], cursor
