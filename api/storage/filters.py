"""The date filters of a list or a search (listing.list_sql, matching.search_sql), as SQL.

`published_after` and `published_before` bound the index a page is read from. `updated_after`
cannot: no index yields a page in publication order by update time. A walk down the page's
index that checks each row would read the whole archive when few articles pass, as when a
client syncs "what changed since my last visit", whose last page has to look past every
older article. So the few articles updated since are looked up first, by ix_articles_updated
(`narrow`): when there are at most FEW of them, the page is made from those alone (the
`among` ids, which listing and matching read first); when there are more, most rows usually
pass and the walk meets its page soon, checking `updated_at` in the index it walks (the
listing and visibility indexes carry it, migration 0009s), without reading the table. What
stays slow: more than FEW updated since, and a page that runs out of them before the walk
reaches the oldest article (README "Speed").
"""

from __future__ import annotations

from typing import Any

from api.storage.db import Database

FEW = 1000  # articles updated since, at most, for a page made from them alone
# SQLite's plan for the `among` ids: from them, by the visibility index, before anything else
# (a CROSS JOIN keeps its left table outside)
AMONG_FIRST = "articles a INDEXED BY ix_articles_visible"
NARROW_SQL = "SELECT id FROM articles WHERE updated_at > %(since)s LIMIT %(limit)s"


def narrow(db: Database, query: dict) -> dict:
    """The query, with `among` the ids of the articles updated after its `updated_after`
    when they are at most FEW (maybe none)."""
    if not query.get("updated_after"):
        return query
    rows = db.query(NARROW_SQL, {"since": db.db_time(query["updated_after"]), "limit": FEW + 1})
    if len(rows) > FEW:
        return query
    return {**query, "among": sorted(row[0] for row in rows)}


def among_sql(db: Database, query: dict, params: dict[str, Any]) -> str:
    """`a.id` is one of the query's `among` ids (bound parameters)."""
    if db.is_postgres:
        params["among"] = query["among"]
        return "a.id = ANY(%(among)s)"
    names = []
    for i, article_id in enumerate(query["among"]):
        params[f"among{i}"] = article_id
        names.append(f"%(among{i})s")
    return f"a.id IN ({', '.join(names)})"


def date_sql(db: Database, query: dict, at: str, params: dict[str, Any]) -> list[str]:
    """The conditions of the query's dates, `at` being the column of the publication time."""
    where = []
    for name, condition in (
        ("published_after", f"{at} > %(published_after)s"),
        ("published_from", f"{at} >= %(published_from)s"),
        ("published_before", f"{at} < %(published_before)s"),
        ("updated_after", "a.updated_at > %(updated_after)s"),
    ):
        if query.get(name):
            where.append(condition)
            params[name] = db.db_time(query[name])
    return where
