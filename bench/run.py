"""`make bench`: Newswire against a bare Flask ceiling, under the same gunicorn, in one run.

Prints requests/s, p50 and p99 and the ratio to the ceiling for each target (SPEC §6), the
cold list and changes latency at every database size, and one worker's resident memory.
Every load is `wrk` on 127.0.0.1 for a fixed number of seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: the project's own modules

from deploy import server  # noqa: E402
from deploy.flask_news import flask_news  # noqa: E402

DATA = ROOT / "bench" / "data"
OUT = ROOT / "bench" / "out"
# 2 sync workers and gunicorn's own defaults otherwise: Newswire and the ceiling alike
GUNICORN = ["--worker-class", "sync", "--log-level", "warning"]
SECRET = "bench-secret"
ABSENT_TAG_PATH = "/v1/articles?tag=gibt-es-nicht"  # no article has it: the worst case of a scan


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    print("wrk is missing; installing Debian's package (apt-get install wrk)", flush=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False)
    found = shutil.which("wrk")
    if not found:
        sys.exit("bench needs wrk: apt-get install wrk")
    return found


def database(n: int) -> str:
    """A cached SQLite database of n articles (bench/data/), made on first use."""
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"articles-{n}.sqlite3"
    if not path.exists():
        print(f"generating {n:,} articles into {path.name}", flush=True)
        partial = path.with_suffix(".partial")
        for leftover in DATA.glob(partial.name + "*"):
            leftover.unlink()
        subprocess.run(
            [sys.executable, "-m", "bench.load", f"sqlite:///{partial}", str(n)],
            cwd=ROOT,
            check=True,
        )
        partial.rename(path)
    url = f"sqlite:///{path}"
    # a database kept from an older schema is migrated, not measured stale
    flask_news(url, "migrate")
    return url


@contextmanager
def serve(app: str, env: dict | None = None):
    """gunicorn with the fixed settings; yields (base URL, master pid)."""
    health = "/health" if app == "wsgi:app" else "/bytes/1"
    env = {"SECRET_KEY": SECRET, **(env or {})}
    with server.serve(
        *GUNICORN, app=app, config=None, workers=2, env=env, health=health
    ) as running:
        yield running.url, running.pid


def get(url: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def wrk(url: str, seconds: int, connections: int = 16, headers: dict | None = None) -> dict:
    """requests/s, p50 and p99 (ms) of one bounded wrk run."""
    threads = min(2, connections)
    command = [ensure_wrk(), f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    latency = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", output, re.M))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "rps": rps,
        "p50": to_ms(latency["50"]),
        "p99": to_ms(latency["99"]),
        "errors": int(non_2xx.group(1)) if non_2xx else 0,
    }


def to_ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(\w+)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def worker_pids(master: int) -> list[int]:
    """The gunicorn master's workers."""
    return [int(pid) for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split()]


def workers_rss_mb(master: int) -> dict[int, float]:
    """Resident memory (VmRSS) of each of the master's workers, in MB."""
    found = {}
    for pid in worker_pids(master):
        status = Path(f"/proc/{pid}/status").read_text()
        found[pid] = int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024
    return found


def targets(base: str) -> list[dict]:
    """What to measure on a running Newswire, with the URL and headers of each."""
    _, _, body = get(base + "/v1/articles?limit=1")
    slug = json.loads(body)["items"][0]["slug"]
    _, headers, _ = get(base + "/v1/articles")
    head = json.loads(get(base + "/v1/changes?since=0&limit=1")[2])["changes"]
    since = max(0, head[0]["seq"] - 1) if head else 0
    return [
        {"name": "RSS feed (cached)", "path": "/feeds/rss.xml", "goal": 0.8},
        {"name": "Atom feed (cached)", "path": "/feeds/atom.xml", "goal": 0.8},
        {"name": "JSON Feed (cached)", "path": "/feeds/feed.json", "goal": 0.8},
        {"name": "list, first page (cached)", "path": "/v1/articles", "goal": 0.8},
        {"name": "one article (cached)", "path": f"/v1/articles/{slug}", "goal": 0.8},
        {"name": "changes page (cached)", "path": f"/v1/changes?since={since}", "goal": 0.8},
        {
            "name": "304 on If-None-Match",
            "path": "/v1/articles",
            "goal": 0.9,
            "headers": {"If-None-Match": headers["ETag"]},
            "ceiling": "/not-modified",
        },
    ]


def deep_cursor_path(base: str, pages: int) -> str:
    """A filtered list page `pages` pages deep, found by following next_cursor."""
    path = "/v1/articles?section=politik&limit=20"
    url = path
    for _ in range(pages):
        page = json.loads(get(base + url)[2])
        if not page["next_cursor"]:
            break
        url = f"{path}&cursor={page['next_cursor']}"
    return url


def main() -> None:
    cli = argparse.ArgumentParser(description=__doc__)
    cli.add_argument(
        "--sizes",
        default="1000,100000,1000000",
        help="database sizes, comma-separated (the first is the main table's)",
    )
    cli.add_argument("--seconds", type=int, default=6, help="length of every wrk run")
    cli.add_argument("--quick", action="store_true", help="sizes 1000,100000 and 3 s runs")
    args = cli.parse_args()
    if args.quick:
        args.sizes, args.seconds = "1000,100000", 3
    sizes = [int(s) for s in args.sizes.split(",")]
    seconds = args.seconds
    ensure_wrk()
    urls = {n: database(n) for n in sizes}
    lines = [
        f"Machine: {os.cpu_count()} cores, {platform_line()}; gunicorn 2 sync workers; "
        f"wrk -t2 -c16 -d{seconds}s on 127.0.0.1.",
        "",
    ]

    rows = []
    with serve("wsgi:app", {"DATABASE_URL": urls[sizes[0]]}) as (base, _):
        measured = targets(base)
        for target in measured:
            status, _, body = get(base + target["path"])
            target["size"] = len(body)
            wrk(base + target["path"], 1, headers=target.get("headers"))  # warm every worker
            target["result"] = wrk(base + target["path"], seconds, headers=target.get("headers"))
    with serve("wsgi:app", {"DATABASE_URL": urls[sizes[0]], "CACHE_ENABLED": "0"}) as (base, _):
        cold = {
            "name": "list, filter + deep cursor (cold)",
            "goal": 0.4,
            "path": deep_cursor_path(base, 5),
        }
        cold["size"] = len(get(base + cold["path"])[2])
        cold["result"] = wrk(base + cold["path"], seconds)
        measured.append(cold)
    with serve("bench.bare:app") as (base, _):
        for target in measured:
            path = target.get("ceiling", f"/bytes/{target['size']}")
            wrk(base + path, 1)
            target["ceiling_result"] = wrk(base + path, seconds)
    lines += [
        f"Newswire on {sizes[0]:,} articles (SQLite) against the bare-Flask ceiling:",
        "",
        "| request | bytes | req/s | p50 ms | p99 ms | ceiling req/s | ratio | goal |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for t in measured:
        r, c = t["result"], t["ceiling_result"]
        ratio = r["rps"] / c["rps"]
        verdict = "ok" if ratio >= t["goal"] else "MISSED"
        errors = f" ({r['errors']} errors)" if r["errors"] else ""
        rows.append(t)
        lines.append(
            f"| {t['name']}{errors} | {t['size']:,} | {r['rps']:,.0f} | {r['p50']:.2f} "
            f"| {r['p99']:.2f} | {c['rps']:,.0f} | {ratio:.2f} | ≥ {t['goal']} {verdict} |"
        )

    lines += [
        "",
        "Cold requests (caches off, one connection) by database size:",
        "",
        "| articles | list + filter + deep cursor p50 ms | list, absent tag p50 ms "
        "| changes page p50 ms | worker RSS MB |",
        "| ---: | ---: | ---: | ---: | ---: |",
    ]
    scale = {}
    for n in sizes:
        env = {"DATABASE_URL": urls[n], "CACHE_ENABLED": "0"}
        with serve("wsgi:app", env) as (base, master):
            list_path = deep_cursor_path(base, 5)
            changes_path = f"/v1/changes?since={n // 2}"
            wrk(base + list_path, 1, connections=1)
            list_result = wrk(base + list_path, seconds, connections=1)
            absent_result = wrk(base + ABSENT_TAG_PATH, seconds, connections=1)
            changes_result = wrk(base + changes_path, seconds, connections=1)
            rss = max(workers_rss_mb(master).values())
        scale[n] = (list_result["p50"], changes_result["p50"], rss, absent_result["p50"])
        lines.append(
            f"| {n:,} | {list_result['p50']:.2f} | {absent_result['p50']:.2f} "
            f"| {changes_result['p50']:.2f} | {rss:.0f} |"
        )
    small, large = scale[sizes[0]], scale[sizes[-1]]
    lines += [
        "",
        f"Latency at {sizes[-1]:,} vs {sizes[0]:,}: list ×{large[0] / small[0]:.2f}, "
        f"list with an absent tag ×{large[3] / small[3]:.2f}, "
        f"changes ×{large[1] / small[1]:.2f} (goal ≤ 1.2); worker RSS at {sizes[-1]:,}: "
        f"{large[2]:.0f} MB (goal < 150).",
    ]
    report = "\n".join(lines)
    print("\n" + report)
    OUT.mkdir(exist_ok=True)
    (OUT / "latest.md").write_text(report + "\n")


def platform_line() -> str:
    model = re.search(r"model name\s*:\s*(.*)", Path("/proc/cpuinfo").read_text())
    memory = re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text())
    return f"{model.group(1) if model else 'unknown CPU'}, {int(memory.group(1)) // 2**20} GiB"


if __name__ == "__main__":
    main()
