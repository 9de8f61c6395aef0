"""Search speed: p50 of typical searches through the store, one connection, no caches.

    python -m bench.search                      # 1,000 and 100,000 articles on SQLite
    python -m bench.search --sizes "" --pg postgresql+psycopg://postgres@127.0.0.1/bench

Databases come from bench/load.py (cached in bench/data/ like `make bench`'s). Each size gets
RARE articles written through the store (the write path, timed with the index and without it,
alternately), then every query runs REPEAT times after a warm-up; the table shows the p50.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, datetime
from unittest import mock

from api.storage import search
from api.store import Article, Store
from bench.load import load
from bench.run import database
from schemas.article import ArticleIn
from schemas.query import ArticleListQuery

RARE = 20  # articles with the rare word, written by the benchmark itself
REPEAT = 30
QUERIES = {
    "rare word": {"q": "Zeppelinwerft"},
    "common word": {"q": "Haushalt"},
    "two-word phrase": {"q": '"Haushalt Debatte"'},
    "word + section": {"q": "Haushalt", "section": "sport"},
    "no match": {"q": "Quetzalcoatl"},
    "common word, relevance": {"q": "Haushalt", "sort": "relevance"},
    "common word, page 5": {"q": "Haushalt", "pages": 5},
    "relevance, page 5": {"q": "Haushalt", "sort": "relevance", "pages": 5},
    # updated_after (api/storage/filters.py): nothing since; the benchmark's own writes since
    "updated_after, none": {"updated_after": "2999-01-01T00:00:00Z"},
    "word + updated_after, none": {"q": "Haushalt", "updated_after": "2999-01-01T00:00:00Z"},
    "updated_after, written": {"updated_after": "WRITTEN"},
    "word + updated_after, written": {"q": "Zeppelinwerft", "updated_after": "WRITTEN"},
}
LIST_QUERY = ArticleListQuery()
ARTICLE_IN = ArticleIn()


def p50_ms(run, repeat: int = REPEAT) -> float:
    for _ in range(3):
        run()
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        run()
        times.append(time.perf_counter() - began)
    return statistics.median(times) * 1000


def write_latency(store: Store, n: int) -> tuple[float, float]:
    """p50 ms of creating an article with the index kept, and with filing switched off."""
    kept, skipped, unfiled = [], [], []
    for i in range(2 * n):
        data = ARTICLE_IN.load(
            {
                "headline": f"Zeppelinwerft meldet Auftrag {i}",
                "lead": "Die Werft am See baut wieder Luftschiffe für die Forschung.",
                "body_text": "Der Auftrag sichert Arbeitsplätze.\nDie Stadt freut sich.",
                "section": "wirtschaft",
                "tags": ["Luftfahrt"],
                "status": "published",
            }
        )
        began = time.perf_counter()
        if i % 2:
            with mock.patch.object(search, "file", lambda session, article: None):
                article, _ = store.create_article(data, "http://bench")
            skipped.append(time.perf_counter() - began)
            unfiled.append(article.data()["id"])
        else:
            store.create_article(data, "http://bench")
            kept.append(time.perf_counter() - began)
    with store.writing() as session:  # leave the database as the app would have
        for article_id in unfiled:
            search.file(session, session.get(Article, article_id))
    return statistics.median(kept) * 1000, statistics.median(skipped) * 1000


def run_query(store: Store, params: dict) -> int:
    params = dict(params)
    pages = params.pop("pages", 1)
    query = LIST_QUERY.load(params)
    found = 0
    for _ in range(pages):
        items, cursor = store.list_articles(query, "http://bench")
        found += len(items)
        if not cursor:
            break
        query = LIST_QUERY.load({**params, "cursor": cursor})
    return found


def index_size(store: Store) -> tuple[float, int]:
    """Bytes of the search index per filed article, and how many are filed."""
    with store.engine.connect() as conn:
        filed = conn.exec_driver_sql("SELECT count(*) FROM article_search").scalar_one()
        if store.is_postgres:
            size = conn.exec_driver_sql(
                "SELECT pg_total_relation_size('article_search')"
            ).scalar_one()
        else:
            size = conn.exec_driver_sql(
                "SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'article_search%'"
                " OR name = 'ix_article_search_filed'"
                " OR name LIKE 'sqlite_autoindex_article_search%'"
            ).scalar_one()
    return size / max(filed, 1), filed


def measure(label: str, url: str) -> None:
    store = Store(url, secret="bench")
    store.upgrade()
    written = datetime.now(UTC).isoformat()
    with_index, without = write_latency(store, RARE)
    print(f"\n{label}")
    print(f"  write p50: {with_index:.1f} ms with the index, {without:.1f} ms without"
          f" (x{with_index / without:.2f})")  # fmt: skip
    per_article, filed = index_size(store)
    print(f"  index: {per_article / 1024:.1f} KiB per article ({filed:,} filed)")
    for name, params in QUERIES.items():
        params = {k: written if v == "WRITTEN" else v for k, v in params.items()}
        hits = run_query(store, params)
        p50 = p50_ms(lambda params=params: run_query(store, params))
        print(f"  {name:<24} p50 {p50:7.2f} ms  ({hits} items)")
    store.close()


def main() -> None:
    cli = argparse.ArgumentParser(description=__doc__)
    cli.add_argument("--sizes", default="1000,100000", help="SQLite sizes, comma-separated")
    cli.add_argument("--pg", help="a PostgreSQL database to load and measure (emptied first)")
    cli.add_argument("--pg-size", type=int, default=100_000)
    cli.add_argument("--pg-loaded", action="store_true", help="measure --pg as it is")
    args = cli.parse_args()
    sizes = [int(n) for n in args.sizes.split(",") if n]
    for n in sizes:
        measure(f"SQLite, {n:,} articles", database(n))
    if args.pg and not args.pg_loaded:
        from sqlalchemy import create_engine, text

        engine = create_engine(args.pg)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        engine.dispose()
        load(args.pg, args.pg_size)
    if args.pg:
        measure(f"PostgreSQL, {args.pg_size:,} articles", args.pg)


if __name__ == "__main__":
    main()
