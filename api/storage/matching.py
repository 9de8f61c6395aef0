"""Pages of a search: the query as FTS5 MATCH or tsquery, newest first or by relevance.

The index and its keys are search.py's. Newest first is a walk down the keys; by relevance,
the newest RANKED matches are ranked (relevance.score on SQLite, ts_rank_cd on PostgreSQL,
both from the article's own words) and the cursor keeps that window, so pages stay put while
articles are added. User text only ever reaches the database as bound parameters: quoted
stems in the MATCH expression, or phrases given to phraseto_tsquery.
"""

from __future__ import annotations

import itertools
import math
from datetime import datetime
from typing import Any

from api.storage import filters, relevance
from api.storage.db import Database
from api.storage.documents import Document, on_base
from api.storage.errors import BadCursor
from api.storage.models import PUBLISHED_SQL
from api.storage.search import LOWEST, SLOTS, key_of, query_facets, stems
from api.storage.snippets import with_snippet
from schemas.search import RANKED, SearchQuery, Term

TS_WEIGHTS = "'{0.0, 0.1, 0.4, 1.0}'"  # D (facets), C (body), B (lead), A (headline)
UMLAUTS = (("ae", "ä"), ("oe", "ö"), ("ue", "ü"))
VARIANTS = 8  # spellings of one phrase tried on PostgreSQL (see pg_spellings)
# what a hit carries besides its document for the snippet: on SQLite the stems FTS5 was given
STEMS = {False: ", s.lead, s.body", True: ""}
RECENT = 5000  # index entries PostgreSQL checks newest first before asking GIN (`matches`)


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
    return '"' + phrase_stems(term).replace('"', '""') + '"'


def phrase_stems(term: Term) -> str:
    return stems(" ".join(term.words))


def stored_match(query: SearchQuery, wanted_facets: list[str], params: dict) -> str:
    """What fts_match means, checked on an entry's stored stems instead of the FTS5 index
    (SQLite, for a few articles given by id): a phrase is its stems in a row in one field,
    and a facet word is one of the entry's facets."""
    counter = itertools.count()

    def contains(columns: tuple[str, ...], words: str) -> str:
        name = f"t{next(counter)}"
        params[name] = f" {words} "
        found = [f"instr(' ' || s.{column} || ' ', %({name})s) > 0" for column in columns]
        return "(" + " OR ".join(found) + ")"

    def has(term: Term) -> str:
        return contains(("headline", "lead", "body"), phrase_stems(term))

    conditions = ["(" + " OR ".join(has(term) for term in group) + ")" for group in query.groups]
    conditions += [f"NOT {has(term)}" for term in query.excluded]
    conditions += [contains(("facets",), word) for word in wanted_facets]
    return "(" + " AND ".join(conditions) + ")"


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
    First the phrase as typed, all umlauts and all transliterated (a text mostly keeps to one
    way), then mixes of them, at most VARIANTS spellings of a phrase."""
    per_word = []
    for word in term.words:
        umlauted, transliterated = word, word
        for plain, umlaut in UMLAUTS:
            umlauted = umlauted.replace(plain, umlaut)
            transliterated = transliterated.replace(umlaut, plain)
        per_word.append((word, umlauted, transliterated))
    spellings: list[str] = []
    whole = [tuple(forms[i] for forms in per_word) for i in range(3)]
    for combo in itertools.chain(whole, itertools.product(*(dict.fromkeys(f) for f in per_word))):
        spelling = " ".join(combo)
        if spelling not in spellings:
            spellings.append(spelling)
            if len(spellings) == VARIANTS:
                break
    return spellings


def search_sql(
    db: Database,
    query: dict,
    now: datetime,
    hi: int,
    lo: int | None,
    limit: int,
    rank: bool,
    filed: int | None = None,
    gin_first: bool = False,
) -> tuple[str, dict]:
    """Matches of the query that pass every filter and the visibility rule, newest first:
    (document, key) rows (on SQLite with the stems of lead and body, for the snippet), or when
    `rank` (key, score) rows on PostgreSQL and (key, headline, lead, body) stems on SQLite,
    which `matches` scores. With `gin_first` (PostgreSQL), every match is first collected
    from the GIN index, then ordered (see `matches`)."""
    search: SearchQuery = query["q"]
    params: dict[str, Any] = {"now": db.db_time(now), "limit": limit}
    wanted = query_facets(query)
    if query.get("published_before"):
        hi = min(hi, key_of(query["published_before"]) + SLOTS - 1)
    if query.get("published_after"):
        lo = max(lo if lo is not None else LOWEST, key_of(query["published_after"]))
    params["hi"] = hi
    among = query.get("among") is not None
    if db.is_postgres:
        everything, positive = pg_tsquery(search, params)
        if wanted:
            params["facets"] = " & ".join("'" + w.replace("'", "''") + "'" for w in wanted)
            everything = f"({everything}) && CAST(%(facets)s AS tsquery)"
        source = "article_search s JOIN articles a ON a.id = s.article_id"
        key = "s.key"
        index = [f"s.document @@ ({everything})", f"numnode({positive}) > 0"]
        score = f"ts_rank_cd({TS_WEIGHTS}, s.document, {positive})"
    elif among:  # a few articles given by id (filters.narrow): read them, not FTS5
        source = f"{filters.AMONG_FIRST} CROSS JOIN article_search s"
        key = "s.key"
        index = ["s.article_id = a.id", stored_match(search, wanted, params)]
        score = "s.headline, s.lead, s.body"  # for relevance.score
    else:
        params["match"] = fts_match(search, wanted)
        source = (
            "article_search_fts JOIN article_search s ON s.key = article_search_fts.rowid"
            " JOIN articles a ON a.id = s.article_id"
        )
        key = "article_search_fts.rowid"
        index = ["article_search_fts MATCH %(match)s"]
        score = "s.headline, s.lead, s.body"  # for relevance.score
    index.append(f"{key} <= %(hi)s")
    if lo is not None:
        index.append(f"{key} >= %(lo)s")
        params["lo"] = lo
    if filed is not None:
        index.append("s.filed <= %(filed)s")
        params["filed"] = filed
    prefix = ""
    if gin_first:
        conditions = " AND ".join(index)
        prefix = f"WITH m AS MATERIALIZED (SELECT s.key FROM article_search s WHERE {conditions}) "
        index.append("s.key IN (SELECT key FROM m)")
    where = [PUBLISHED_SQL, "a.published_at <= %(now)s", *index]  # visibility rule (models)
    if among:
        where.append(filters.among_sql(db, query, params))
    where += filters.date_sql(db, query, "a.published_at", params)
    columns = f"{key}, {score}" if rank else f"a.document, {key}{STEMS[db.is_postgres]}"
    sql = (
        f"{prefix}SELECT {columns} FROM {source} WHERE "
        + " AND ".join(where)
        + f" ORDER BY {key} DESC LIMIT %(limit)s"
    )
    return sql, params


def matches(db: Database, query: dict, now: datetime, hi, lo, limit, rank, filed=None) -> list:
    """search_sql's rows, scored when `rank`: on SQLite one query, as FTS5 walks its
    matches newest first (or the few `among` articles are read, filters.narrow).

    PostgreSQL's planner would read the keys backwards, checking each entry, hoping to meet
    LIMIT matches soon: for a rare word, that reads the whole table. So it checks only the
    newest RECENT entries that way (cheap however common the words); when those hold fewer
    than `limit` matches, the rest are collected from the GIN index, then ordered.
    """
    if not db.is_postgres:
        rows = db.query(*search_sql(db, query, now, hi, lo, limit, rank, filed))
        if not rank:
            return rows
        phrases = [phrase_stems(term).split(" ") for group in query["q"].groups for term in group]
        return [(row[0], relevance.score(phrases, row[1:])) for row in rows]
    if query.get("among") is not None:
        return db.query(*search_sql(db, query, now, hi, lo, limit, rank, filed))
    floor_sql = "SELECT key FROM article_search WHERE key <= %(hi)s"
    if lo is not None:
        floor_sql += " AND key >= %(lo)s"
    floor_sql += " ORDER BY key DESC OFFSET %(recent)s LIMIT 1"
    below = db.query(floor_sql, {"hi": hi, "lo": lo, "recent": RECENT})
    if not below:  # no more than RECENT entries in the range
        return db.query(*search_sql(db, query, now, hi, lo, limit, rank, filed))
    floor = below[0][0] + 1
    rows = db.query(*search_sql(db, query, now, hi, floor, limit, rank, filed))
    if len(rows) < limit:
        rest = search_sql(db, query, now, floor - 1, lo, limit - len(rows), rank, filed, True)
        rows += db.query(*rest)
    return rows


def newest_first(db: Database, cursors, query: dict, now: datetime) -> tuple[list[tuple], Any]:
    """A page of matches, newest first: (hits, the next cursor's payload or None)."""
    limit = query.get("limit", 20)
    hi = key_of(now) + SLOTS - 1
    if query.get("cursor"):
        hi = min(hi, decode(cursors, query["cursor"], "s")[0] - 1)
    rows = matches(db, query, now, hi, None, limit + 1, rank=False)
    payload = ["s", rows[limit - 1][1]] if len(rows) > limit else None
    return [(row[0], *row[2:]) for row in rows[:limit]], payload


def by_relevance(db: Database, cursors, query: dict, now: datetime) -> tuple[list[tuple], Any]:
    """A page of the newest RANKED matches in order of relevance, ties newest first.

    The first page fixes the window in its cursor: the keys from the RANKED-th newest match to
    now, of the articles filed by then (an edit keeps an article's place, `file`). Later pages
    rank the same window again and continue after the last article shown, or, when it has
    left the window since (deleted, unpublished, edited), after the place its score had.
    """
    limit = query.get("limit", 20)
    if query.get("cursor"):
        lo, hi, filed, after, position, score = decode(cursors, query["cursor"], "r")
        bound = 2 * RANKED  # articles edited into matching since: ranked too, up to a bound
    else:
        lo, hi, after, position, score = None, key_of(now) + SLOTS - 1, None, 0, None
        filed = db.query("SELECT coalesce(max(filed), 0) FROM article_search", {})[0][0]
        bound = RANKED
    window = matches(db, query, now, hi, lo, bound, rank=True, filed=filed)
    if lo is None:
        lo = window[-1][0] if len(window) == RANKED else LOWEST
    ranked = sorted(window, key=lambda row: (-row[1], -row[0]))
    keys = [key for key, _ in ranked]
    if after is not None and after in keys:
        position = keys.index(after) + 1
    elif after is not None and score is not None:  # gone since: continue where it stood
        position = sum(1 for key, value in ranked if (-value, -key) < (-score, -after))
    page = ranked[position : position + limit]
    payload = None
    if position + limit < len(ranked):
        last_key, last_score = page[-1]
        payload = ["r", lo, hi, filed, last_key, position + limit, float(last_score)]
    return documents(db, [key for key, _ in page]), payload


def documents(db: Database, keys: list[int]) -> list[tuple]:
    """The hits of these index entries, in this order: (stored document, and on SQLite the
    stems of its lead and body, for the snippet)."""
    if not keys:
        return []
    params = {f"k{i}": key for i, key in enumerate(keys)}
    names = ", ".join(f"%({name})s" for name in params)
    rows = db.query(
        f"SELECT s.key, a.document{STEMS[db.is_postgres]} FROM article_search s"
        f" JOIN articles a ON a.id = s.article_id WHERE s.key IN ({names})",
        params,
    )
    found = {row[0]: row[1:] for row in rows}
    return [found[key] for key in keys if key in found]


def decode(cursors, cursor: str, kind: str) -> list:
    """The values of a search cursor of this kind: integers, and for a relevance cursor the
    score of its last article last (None in cursors made before it was kept); BadCursor for
    anything else."""
    try:
        payload = cursors.serializer.loads(cursor)
    except Exception as exc:
        raise BadCursor(cursor) from exc
    if not isinstance(payload, list) or not payload or payload[0] != kind:
        raise BadCursor(cursor)
    values = payload[1:]
    if kind == "r" and len(values) == 5:
        values.append(None)
    elif kind == "r" and len(values) == 6:
        if type(values[-1]) not in (int, float) or not math.isfinite(values[-1]):
            raise BadCursor(cursor)
        values[-1] = float(values[-1])
    elif len(values) != (1 if kind == "s" else 6):
        raise BadCursor(cursor)
    integers = values[:-1] if kind == "r" else values
    if not all(type(v) is int and abs(v) < 2**63 for v in integers):
        raise BadCursor(cursor)
    return values


def list_matches(
    db: Database, cursors, query: dict, base_url: str, now: datetime
) -> tuple[list[Document], str | None]:
    """A page of a search, newest first (`sort=published`, the default) or by relevance,
    each hit with its snippet."""
    page = by_relevance if query.get("sort") == "relevance" else newest_first
    found, payload = page(db, cursors, query, now)
    cursor = cursors.serializer.dumps(payload) if payload else None
    hits = [with_snippet(document, query["q"], *stemmed) for document, *stemmed in found]
    return [Document(on_base(document, base_url)) for document in hits], cursor
