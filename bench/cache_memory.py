"""Issue 10.2's figure: how much a worker grows under requests that vary only what it ignores.

Starts Newswire under gunicorn as `make run` does (deploy/gunicorn.conf.py: gevent), with 2
workers, on a fresh SQLite database of the demo articles, and drives it from 8 client threads
on 127.0.0.1 (one connection per request, closed after it), in two phases:

1. `--requests` (80,000) of `GET /v1/changes?since=100000000&pad=<3,900 chars>&n=<i>`, a new
   `n` each time: parameters the view ignores, which once made a cache entry each;
2. `--distinct` (20,000) of `GET /v1/changes?since=<i>`, every one a real, different page:
   what the entry cap and the byte bound hold.

Prints every worker's resident memory before and after each phase, and the largest growth.
Goal (issue 10.2): phase 1 grows no worker by more than 40 MB. Bounded: each phase stops after
its requests or `--seconds`, whichever comes first.

    .venv/bin/python -m bench.cache_memory [--requests 80000] [--distinct 20000]
"""

from __future__ import annotations

import argparse
import shutil
import socket
import sys
import threading
import time
from collections import Counter

from bench.run import ROOT, workers_rss_mb
from deploy.flask_news import flask_news
from deploy.server import serve

OUT = ROOT / "bench" / "out" / "cache_memory"
CLIENTS = 8  # client threads, each one connection at a time
PAD = "p" * 3900


def path_of(kind: str, client: int, i: int) -> str:
    if kind == "ignored":
        return f"/v1/changes?since=100000000&pad={PAD}&n={client}-{i}"
    return f"/v1/changes?since={client * 10_000_000 + i}"


def drive(port: int, kind: str, requests: int, seconds: float) -> str:
    """Send `requests` GETs of `kind` from CLIENTS threads, one connection each; a summary."""
    deadline = time.monotonic() + seconds
    statuses: Counter = Counter()

    def client(number: int) -> None:
        for i in range(requests // CLIENTS):
            if time.monotonic() > deadline:
                return
            request = f"GET {path_of(kind, number, i)} HTTP/1.1\r\nHost: bench\r\n"
            with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
                conn.sendall((request + "Connection: close\r\n\r\n").encode())
                head = conn.recv(16)
                while conn.recv(65536):
                    pass
            statuses[head[9:12].decode()] += 1

    start = time.monotonic()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - start
    answered = sum(statuses.values())
    others = {status: n for status, n in statuses.items() if status != "200"}
    return f"{answered:,} requests in {elapsed:.0f} s" + (f", not 200: {others}" if others else "")


def database() -> str:
    """A fresh SQLite database with the demo articles."""
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    url = f"sqlite:///{OUT / 'newswire.sqlite3'}"
    for command in ("migrate", "seed"):
        flask_news(url, command, env={"SECRET_KEY": "bench"})
    return url


def show(label: str, sizes: dict[int, float]) -> None:
    print(f"{label:28}" + "  ".join(f"{pid}: {mb:6.1f} MB" for pid, mb in sorted(sizes.items())))


def main() -> None:
    cli = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    cli.add_argument("--requests", type=int, default=80_000, help="phase 1: ignored parameters")
    cli.add_argument("--distinct", type=int, default=20_000, help="phase 2: distinct pages")
    cli.add_argument("--seconds", type=int, default=150, help="the longest a phase may run")
    args = cli.parse_args()
    url = database()
    with serve(workers=2, env={"DATABASE_URL": url, "SECRET_KEY": "bench"}) as server:
        port, master = server.port, server.pid
        drive(port, "distinct", 2000, 30)  # warm every worker: imports, connections, caches
        start = workers_rss_mb(master)
        show("after warming", start)
        print("phase 1, ignored parameters:", drive(port, "ignored", args.requests, args.seconds))
        ignored = workers_rss_mb(master)
        show("after phase 1", ignored)
        print("phase 2, distinct pages:", drive(port, "distinct", args.distinct, args.seconds))
        distinct = workers_rss_mb(master)
        show("after phase 2", distinct)
    if not start.keys() == ignored.keys() == distinct.keys():
        sys.exit("a worker was replaced during the run: its growth is unknown")
    growth = max(ignored[pid] - start[pid] for pid in start)
    total = max(distinct[pid] - start[pid] for pid in start)
    print(f"largest growth of a worker: phase 1 {growth:.1f} MB (goal < 40), ", end="")
    print(f"after both phases {total:.1f} MB")
    shutil.rmtree(OUT, ignore_errors=True)


if __name__ == "__main__":
    main()
