"""Long-poll under load: commit-to-answer latency with many waiting consumers, their memory,
and what they cost other requests, in one bounded run on 127.0.0.1.

    .venv/bin/python -m bench.longpoll [--waiters 1000] [--rounds 5] [--database-url URL]

Starts gunicorn with deploy/gunicorn.conf.py (gevent workers, as `make run`) on a copy of the
1,000-article bench database (or on --database-url, e.g. PostgreSQL), then:
1. p99 of /v1/articles with no waiter (wrk, 5 s);
2. opens --waiters consumers, each a keep-alive connection long-polling /v1/changes?wait=60;
3. p99 of /v1/articles again while they all wait, and every worker's resident memory;
4. --rounds times: one write committed by this process (another instance, as far as the
   server knows), and the time from its commit until each waiter has its answer; then every
   waiter long-polls again from the new `next_since`;
5. p99 of /v1/articles once more after the waiters are gone, to show the machine's noise.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from api.store import Store
from bench.run import database, workers_rss_mb, wrk
from deploy.flask_news import flask_news
from deploy.server import free_port, serve
from schemas.article import ArticleIn

WAIT = 60  # seconds each long-poll may wait; every round ends well before


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


def write_article(store: Store, base: str, n: int) -> float:
    """Publish an article straight into the database, as another instance would; the moment
    its transaction committed."""
    raw = {"headline": f"Eilmeldung {n}", "lead": "Neu.", "body_text": "Absatz."}
    store.create_article(ArticleIn().load({**raw, "status": "published"}), base)
    return time.monotonic()


class Consumers:
    """Long-polling consumers on keep-alive connections, driven by one asyncio loop."""

    def __init__(self, port: int, count: int, since: int, rounds: int):
        self.port, self.count, self.rounds = port, count, rounds
        self.since = since
        self.waiting = 0  # requests sent and not yet answered
        self.answered: list[list[float]] = [[] for _ in range(rounds)]
        self.errors = 0

    async def consumer(self) -> None:
        for attempt in range(5):  # a burst of 1,000 connects may meet a full accept queue
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
                break
            except OSError:
                await asyncio.sleep(0.2 * (attempt + 1))
        else:
            self.errors += 1
            return
        since = self.since
        try:
            for round_ in range(self.rounds):
                request = f"GET /v1/changes?since={since}&limit=1&wait={WAIT} HTTP/1.1\r\n"
                writer.write((request + "Host: bench\r\n\r\n").encode())
                await writer.drain()
                self.waiting += 1
                status = await reader.readline()
                length = 0
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    name, _, value = line.decode().partition(":")
                    if name.lower() == "content-length":
                        length = int(value)
                body = await reader.readexactly(length)
                self.waiting -= 1
                self.answered[round_].append(time.monotonic())
                if b" 200 " not in status:
                    self.errors += 1
                    return
                since = json.loads(body)["next_since"]
        finally:
            writer.close()

    def start(self) -> threading.Thread:
        async def all_of_them():
            await asyncio.gather(*(self.consumer() for _ in range(self.count)))

        thread = threading.Thread(target=asyncio.run, args=(all_of_them(),), daemon=True)
        thread.start()
        return thread


def settle(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            sys.exit("bench: consumers did not get there in time")
        time.sleep(0.05)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--waiters", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database-url", help="default: a copy of the 1,000-article database")
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="newswire-longpoll-"))
    url = args.database_url
    if url is None:
        source = database(1000).removeprefix("sqlite:///")
        shutil.copy(source, scratch / "db.sqlite3")
        url = f"sqlite:///{scratch / 'db.sqlite3'}"
    flask_news(url, "migrate")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {"DATABASE_URL": url, "SECRET_KEY": "bench", "PUBLIC_BASE_URL": base}
    try:
        with serve(port=port, workers=args.workers, env=env) as server:
            run(base, port, server.pid, url, args)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def run(base: str, port: int, master: int, url: str, args) -> None:
    articles = base + "/v1/articles"
    print(f"gunicorn: {args.workers} gevent workers; {args.waiters} waiters", flush=True)
    idle_rss = list(workers_rss_mb(master).values())
    without = wrk(articles, 5, connections=8)
    with urllib.request.urlopen(base + "/v1/changes?since=0&limit=1000") as response:
        since = json.load(response)["next_since"]
    while True:  # follow to the head
        with urllib.request.urlopen(f"{base}/v1/changes?since={since}&limit=1000") as response:
            page = json.load(response)
        if page["next_since"] == since:
            break
        since = page["next_since"]

    consumers = Consumers(port, args.waiters, since, args.rounds)
    thread = consumers.start()
    settle(lambda: consumers.waiting == args.waiters)
    time.sleep(1.0)  # every request reached a worker and waits there
    holding_rss = list(workers_rss_mb(master).values())
    with_waiters = wrk(articles, 5, connections=8)
    assert consumers.waiting == args.waiters, "a waiter answered with nothing written"

    latencies: list[float] = []
    store = Store(url, secret="bench")
    for round_ in range(args.rounds):
        settle(lambda: consumers.waiting == args.waiters)
        time.sleep(0.5)
        committed = write_article(store, base, round_)
        settle(lambda n=round_: len(consumers.answered[n]) == args.waiters)
        latencies += [answered - committed for answered in consumers.answered[round_]]
    thread.join(timeout=30)
    after = wrk(articles, 5, connections=8)  # the waiters gone again: the machine's noise

    ms = [1000 * s for s in latencies]
    print(
        f"commit-to-answer ({len(ms)} answers): min {min(ms):.0f} ms,"
        f" p50 {percentile(ms, 0.5):.0f} ms, p99 {percentile(ms, 0.99):.0f} ms,"
        f" max {max(ms):.0f} ms; errors {consumers.errors}"
    )
    print(
        "worker memory (MB): idle "
        + ", ".join(f"{mb:.0f}" for mb in idle_rss)
        + f"; holding {args.waiters} waiters "
        + ", ".join(f"{mb:.0f}" for mb in holding_rss)
    )
    print(
        f"/v1/articles p99: {without['p99']:.1f} ms before the waiters,"
        f" {with_waiters['p99']:.1f} ms with them, {after['p99']:.1f} ms after;"
        f" requests/s {without['rps']:.0f} / {with_waiters['rps']:.0f} / {after['rps']:.0f}"
    )


if __name__ == "__main__":
    main()
