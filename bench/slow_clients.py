"""Slow and idle clients against gunicorn worker models: latency of a normal request, memory.

    python bench/slow_clients.py                  # gevent (make run's model), gthread, sync
    python bench/slow_clients.py --models gevent  # one model
    python bench/slow_clients.py --database-url postgresql+psycopg://postgres@127.0.0.1/bench

Each model serves Newswire with deploy/gunicorn.conf.py (4 workers, as `make run`), the demo
articles on a fresh SQLite file (or the database named), on 127.0.0.1 only. Then:

(a) a normal request (`GET /v1/articles`, a new connection each, like curl) is timed
    `--requests` times: alone, then while `--slow` connections send a request one byte per
    second (a header that never ends, reconnecting when the server drops them), then while
    `--idle` connections are held;
(b) each worker's resident memory is read with no client, with `--idle` connections kept alive
    after one request each (a consumer between two polls), and with `--idle` connections held
    in the middle of a request (a greenlet or thread each: what a long-poll will hold).

Keep-alive is raised to 60 s for the run, so that the server keeps the idle connections while
they are measured. Every phase is bounded in time; a normal request that takes longer than
--request-timeout counts at that time. Ratios compare with the same model's latency alone.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import os
import resource
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: the project's own modules

from bench.run import worker_pids, workers_rss_mb  # noqa: E402
from deploy.flask_news import flask_news  # noqa: E402
from deploy.server import serve  # noqa: E402

MODELS = {
    "gevent": [],  # the config file's own model
    "gthread": ["--worker-class", "gthread", "--threads", "250"],  # 1,000 threads per instance
    "sync": ["--worker-class", "sync"],  # the model before, for reference
}
PATH = "/v1/articles"


def get(port: int, timeout: float) -> int:
    """One GET on a new connection; its status (0 when it failed or timed out)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", PATH)
        response = connection.getresponse()
        response.read()
        return response.status
    except OSError:
        return 0
    finally:
        connection.close()


def latencies(port: int, count: int, timeout: float, budget: float) -> dict:
    """`count` sequential requests (stops early when `budget` seconds are spent)."""
    times, unanswered, errors = [], 0, 0
    stop = time.monotonic() + budget
    for _ in range(count):
        if time.monotonic() > stop:
            break
        start = time.perf_counter()
        status = get(port, timeout)
        elapsed = time.perf_counter() - start
        if status == 0:  # timed out or refused: counts as the whole timeout
            unanswered += 1
            elapsed = max(elapsed, timeout)
        elif status != 200:
            errors += 1
        times.append(elapsed)
    times.sort()
    return {
        "n": len(times),
        "unanswered": unanswered,
        "errors": errors,
        "p50": statistics.median(times),
        "p99": times[min(len(times) - 1, round(0.99 * (len(times) - 1)))],
    }


class Clients:
    """Connections kept by an asyncio loop in a thread of their own."""

    def __init__(self, port: int):
        self.port = port
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.tasks: list = []
        self.writers: list = []
        self.reconnects = 0
        self.stopping = False

    def run(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop)

    async def _open(self):
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        self.writers.append(writer)
        return reader, writer

    async def _slow(self, delay: float):
        """Send a request one byte a second; its header never ends. Reconnect when dropped."""
        await asyncio.sleep(delay)
        request = b"GET " + PATH.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
        while not self.stopping:
            try:
                _, writer = await self._open()
                for byte in request:
                    writer.write(bytes([byte]))
                    await writer.drain()
                    await asyncio.sleep(1)
                while not self.stopping:
                    writer.write(b"a")
                    await writer.drain()
                    await asyncio.sleep(1)
            except OSError:
                self.reconnects += 1
                await asyncio.sleep(0.1)

    async def _start_slow(self, count: int):
        for i in range(count):
            self.tasks.append(asyncio.ensure_future(self._slow(i / count)))

    async def _idle(self, count: int, kept_alive: bool):
        """Open `count` connections: after one whole request each, or inside one."""

        async def one():
            reader, writer = await self._open()
            if kept_alive:
                writer.write(f"GET {PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
                await writer.drain()
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    int(line.split(b":")[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                await reader.readexactly(length)
            else:
                writer.write(f"GET {PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Wait: ".encode())
                await writer.drain()

        for start in range(0, count, 50):  # in batches, not to overflow the listen backlog
            await asyncio.gather(*(one() for _ in range(min(50, count - start))))

    async def _close(self):
        self.stopping = True
        for task in self.tasks:
            task.cancel()
        for writer in self.writers:
            writer.close()
        self.tasks, self.writers = [], []

    def slow(self, count: int) -> None:
        self.run(self._start_slow(count)).result(10)

    def idle(self, count: int, kept_alive: bool) -> None:
        self.run(self._idle(count, kept_alive)).result(60)

    def close(self) -> None:
        self.run(self._close()).result(10)
        self.stopping = False

    def stop(self) -> None:
        self.close()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


def open_connections(pids: list[int]) -> list[int]:
    """Sockets each worker has open (the listener and any connections)."""
    counts = []
    for pid in pids:
        fds = Path(f"/proc/{pid}/fd")
        counts.append(sum(1 for fd in fds.iterdir() if "socket" in os.readlink(fd)))
    return counts


def run_model(model: str, database_url: str, args) -> dict:
    result: dict = {"model": model}
    env = {"DATABASE_URL": database_url, "KEEPALIVE": "60"}
    with serve(*MODELS[model], workers=4, env=env) as server:
        port, master = server.port, server.pid
        for _ in range(20):  # warm every worker's cache
            get(port, 5)
        time.sleep(1)
        result["mem_base"] = workers_rss_mb(master)
        clients = Clients(port)
        try:
            result["alone"] = latencies(port, args.requests, args.request_timeout, 60)
            clients.slow(args.slow)
            time.sleep(3)  # every slow connection is open and trickling
            result["slow"] = latencies(port, args.requests, args.request_timeout, 40)
            result["slow_reconnects"] = clients.reconnects
            clients.close()
            time.sleep(1)

            result["mem_before_kept_alive"] = workers_rss_mb(master)
            clients.idle(args.idle, kept_alive=True)
            time.sleep(2)
            result["mem_kept_alive"] = workers_rss_mb(master)
            result["sockets_kept_alive"] = open_connections(worker_pids(master))
            clients.close()
            time.sleep(2)

            result["mem_before_held"] = workers_rss_mb(master)
            clients.idle(args.idle, kept_alive=False)
            time.sleep(2)
            result["mem_held"] = workers_rss_mb(master)
            result["sockets_held"] = open_connections(worker_pids(master))
            result["held"] = latencies(port, args.requests, args.request_timeout, 40)
        finally:
            clients.stop()
    return result


def report(results: list[dict], args) -> None:
    print(
        f"\n{os.cpu_count()} cores; 4 workers each; GET {PATH} on a new connection;"
        f" {args.slow} slow clients at 1 byte/s; {args.idle} idle connections\n"
    )
    print("latency of a normal request (ms): alone / with slow clients / with held connections")
    for r in results:
        line = [r["model"].ljust(8)]
        for phase in ("alone", "slow", "held"):
            p = r[phase]
            failed = ""
            if p["unanswered"] or p["errors"]:
                failed = f" ({p['unanswered']} unanswered, {p['errors']} errors of {p['n']})"
            line.append(f"{phase} p50 {p['p50'] * 1000:7.1f} p99 {p['p99'] * 1000:7.1f}{failed}")
        print("  ".join(line))
    print("\nratios to the same model alone (p50 / p99), and the added p99 delay")
    for r in results:
        alone = r["alone"]
        parts = []
        for phase in ("slow", "held"):
            p = r[phase]
            parts.append(
                f"{phase}: x{p['p50'] / alone['p50']:.2f} / x{p['p99'] / alone['p99']:.2f}"
                f" (+{(p['p99'] - alone['p50']) * 1000:.0f} ms)"
            )
        print(f"{r['model'].ljust(8)} " + "   ".join(parts))
    print("\nworker memory (RSS, MB): max worker; mean growth per worker; per connection (KB)")
    for r in results:
        parts = [f"none {max(r['mem_base'].values()):.1f}"]
        for phase, label in (("mem_kept_alive", "kept alive"), ("mem_held", "held")):
            mem, base = r[phase], r[phase.replace("mem_", "mem_before_")]
            growth = [mem[pid] - base.get(pid, mem[pid]) for pid in mem]
            per_connection = sum(growth) * 1024 / args.idle
            parts.append(
                f"{label} {max(mem.values()):.1f} (+{statistics.mean(growth):.1f},"
                f" {per_connection:.0f} KB/conn)"
            )
        print(f"{r['model'].ljust(8)} " + "   ".join(parts))
    print("\nsockets per worker: kept alive / held")
    for r in results:
        print(f"{r['model'].ljust(8)} {r['sockets_kept_alive']} / {r['sockets_held']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", default="gevent,gthread,sync")
    parser.add_argument("--slow", type=int, default=200)
    parser.add_argument("--idle", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--request-timeout", type=float, default=5.0)
    parser.add_argument("--database-url", help="default: a new SQLite file")
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 8192), hard))
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        database_url = args.database_url or f"sqlite:///{tmp}/bench.sqlite3"
        flask_news(database_url, "migrate")
        flask_news(database_url, "seed", "--if-empty")
        for model in args.models.split(","):
            started = time.monotonic()
            results.append(run_model(model, database_url, args))
            print(f"{model}: {time.monotonic() - started:.0f} s", file=sys.stderr)
    report(results, args)


if __name__ == "__main__":
    main()
