"""Sitemaps at scale: how the cost of the index and of one day's sitemap grows with the archive.

Runs the app in-process (Flask's test client, representation cache off, so every request is
rendered) on the bench databases of 1,000 and N articles (bench/load.py publishes one article
every 5 minutes: 288 a day, N / 288 days) and prints each request's median time at N as a
ratio of its median at 1,000. The index reads one row per day that has articles; a day's
sitemap reads that day's articles only.

    .venv/bin/python -m bench.sitemaps              # N = 100,000 (generated on first use)
    .venv/bin/python -m bench.sitemaps --n 1000000
"""

from __future__ import annotations

import argparse
import statistics
import time

from api import create_app
from bench.run import database

PATHS = {
    "index /sitemap.xml": "/sitemap.xml",
    "one day, 288 URLs": "/sitemaps/articles-2026-11-22.xml",
    "RSS feed, 50 items (for scale)": "/feeds/rss.xml",
}


def medians(url: str, runs: int) -> dict[str, tuple[float, int]]:
    app = create_app({"DATABASE_URL": url, "CACHE_ENABLED": False, "TESTING": True})
    client = app.test_client()
    result = {}
    for name, path in PATHS.items():
        times = []
        for _ in range(runs):
            began = time.perf_counter()
            response = client.get(path)
            times.append(time.perf_counter() - began)
            assert response.status_code == 200, (path, response.status_code)
        result[name] = (statistics.median(times), len(response.data))
    app.extensions["store"].close()
    return result


def main() -> None:
    cli = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    cli.add_argument("--n", type=int, default=100_000)
    cli.add_argument("--runs", type=int, default=5)
    args = cli.parse_args()
    small = medians(database(1000), args.runs)
    large = medians(database(args.n), args.runs)
    print(f"| request | 1,000: ms | {args.n:,}: ms | ratio | bytes at {args.n:,} |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name in PATHS:
        (a, _), (b, size) = small[name], large[name]
        print(f"| {name} | {a * 1000:.1f} | {b * 1000:.1f} | ×{b / a:.2f} | {size:,} |")


if __name__ == "__main__":
    main()
