"""Newswire behind nginx (deploy/), against the same nginx serving the same bytes as files.

Starts the production set of deploy/stack.py (two app servers on PostgreSQL, nginx with the
recipe's shared cache honouring our headers, no proxy_ignore_headers), fills it with articles,
and measures with wrk, in one run: cached RSS, a cached list page and one article through the
recipe; the same URLs through a second nginx server that proxies without a cache; and a third
that serves the very same bytes as static files. Ratios are to the static files, at 16 and 64
connections, with p99: each ratio is the median of interleaved rounds (--rounds, 3), in each
of which wrk measures the static file, the recipe and the uncached proxy one after the other.
Then the freshness through the recipe: how long after a write through app server A the change
shows through nginx (8 writes), and a scheduled article after its instant.

    .venv/bin/python bench/proxy.py [--seconds 5] [--rounds 3] [--articles 200]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.run import ensure_wrk, platform_line, wrk  # noqa: E402
from deploy import check  # noqa: E402
from deploy.server import free_port  # noqa: E402
from deploy.stack import Stack  # noqa: E402

EXTRA_SERVERS = """
    server {  # the same bytes as files
        listen 127.0.0.1:${STATIC};
        root ${RUN_DIR}/static;
        default_type application/octet-stream;
    }
    server {  # the app servers without the cache
        listen 127.0.0.1:${NOCACHE};
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host $http_host;
        location / { proxy_pass http://newswire; }
    }
}
"""


class BenchStack(Stack):
    """The recipe's nginx, with a static and an uncached server beside it."""

    def __init__(self, **kwargs):
        super().__init__(delivery=False, **kwargs)
        self.static_port, self.nocache_port = free_port(), free_port()

    def nginx_conf(self) -> str:
        conf = super().nginx_conf().rstrip()
        assert conf.endswith("}")
        extra = (
            EXTRA_SERVERS.replace("${STATIC}", str(self.static_port))
            .replace("${NOCACHE}", str(self.nocache_port))
            .replace("${RUN_DIR}", str(self.run_dir))
        )
        return conf[:-1] + extra


def fill(stack: BenchStack, n: int) -> None:
    for i in range(n):
        check.write(stack, stack.app_urls[i % 2], headline=f"Artikel Nummer {i}", section="politik")


def median_run(runs: list[dict]) -> dict:
    """Median requests/s and p99 of interleaved rounds of one kind."""
    return {key: statistics.median(run[key] for run in runs) for key in ("rps", "p99")}


def main() -> None:
    cli = argparse.ArgumentParser(description=__doc__)
    cli.add_argument("--seconds", type=int, default=5)
    cli.add_argument("--articles", type=int, default=200)
    cli.add_argument("--rounds", type=int, default=3)
    args = cli.parse_args()
    ensure_wrk()
    print(platform_line() + " nginx in front; wrk on 127.0.0.1.\n", flush=True)
    with BenchStack() as stack:
        fill(stack, args.articles)
        slug = json.loads(check.request(stack.url + "/v1/articles?limit=1")[2])["items"][0]["slug"]
        paths = {
            "RSS feed": "/feeds/rss.xml",
            "list, first page": "/v1/articles",
            "one article": f"/v1/articles/{slug}",
        }
        static = stack.run_dir / "static"
        static.mkdir()
        static.chmod(0o755)
        rows = []
        for name, path in paths.items():
            body = check.request(stack.url + path)[2]
            (static / name.replace(" ", "-").replace(",", "")).write_bytes(body)
            files = f"http://127.0.0.1:{stack.static_port}/" + name.replace(" ", "-").replace(
                ",", ""
            )
            urls = {
                "static": files,
                "cached": stack.url + path,
                "uncached": f"http://127.0.0.1:{stack.nocache_port}{path}",
            }
            for connections in (16, 64):
                for url in urls.values():
                    wrk(url, 1, connections)  # warm
                rounds = [  # interleaved, so that another process's load falls on each kind
                    {kind: wrk(url, args.seconds, connections) for kind, url in urls.items()}
                    for _ in range(args.rounds)
                ]
                rows.append((name, len(body), connections, rounds))
        print(
            "| request | bytes | conns | static req/s | recipe req/s (p99 ms) | ratio"
            " | no cache req/s (p99 ms) | ratio |"
        )
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for name, size, connections, rounds in rows:
            s, c, u = (median_run([r[kind] for r in rounds]) for kind in urls)
            cached = statistics.median(r["cached"]["rps"] / r["static"]["rps"] for r in rounds)
            uncached = statistics.median(r["uncached"]["rps"] / r["static"]["rps"] for r in rounds)
            print(
                f"| {name} | {size:,} | {connections} | {s['rps']:,.0f}"
                f" | {c['rps']:,.0f} ({c['p99']:.1f}) | {cached:.2f}"
                f" | {u['rps']:,.0f} ({u['p99']:.1f}) | {uncached:.2f} |",
                flush=True,
            )
        url = stack.url + "/v1/articles?section=politik"
        delays = []
        for i in range(8):
            check.request(url)
            article = check.write(
                stack, stack.app_urls[0], headline=f"Frisch {i}", section="politik"
            )
            delays.append(check.seconds_until_listed(url, article["id"], time.monotonic()))
            time.sleep(0.37 * i % 1.1)
        print(
            "\nA write through app server A, shown through nginx after (8 writes): "
            + ", ".join(f"{d:.2f}" for d in sorted(delays))
            + f" s (median {statistics.median(delays):.2f} s)"
        )
        instant = datetime.now(UTC) + timedelta(seconds=3)
        article = check.write(
            stack, stack.app_urls[1], section="termine", published_at=instant.isoformat()
        )
        while datetime.now(UTC) < instant:
            check.request(stack.url + "/v1/articles?section=termine")
            time.sleep(0.05)
        started = time.monotonic()
        late = check.seconds_until_listed(
            stack.url + "/v1/articles?section=termine", article["id"], started
        )
        print(f"A scheduled article, shown through nginx {late:.2f} s after its instant")


if __name__ == "__main__":
    main()
