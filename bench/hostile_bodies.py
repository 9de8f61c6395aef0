"""How long the worst bodies take: through the schema, and as a POST to a real server.

`.venv/bin/python bench/hostile_bodies.py` builds bodies that cost html5lib the most (deep
nesting, many elements, formatting elements the parser reopens, long attributes, a mebibyte
of text) and real article bodies (settled already, and the same with unclosed paragraphs,
which html5lib must settle), loads each through ArticleIn three times, then POSTs each three
times to gunicorn (one sync worker, a fresh SQLite database) and prints the slowest of each
with what the answer was. The figures go in the README's "Security and limits".
"""

from __future__ import annotations

import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from marshmallow import ValidationError  # noqa: E402

from schemas.article import ArticleIn  # noqa: E402

RUNS = 3
BASE = {"headline": "Schlagzeile", "lead": "Vorspann."}


def real_body(size: int, closed: bool) -> str:
    """Paragraphs of the example article with links and emphasis, about `size` characters."""
    lines = (ROOT / "tests" / "fixtures" / "article-plain.txt").read_text("utf-8").split("\n")
    paragraphs = [line for line in lines[3:] if line.strip()]
    rng = random.Random(1)
    parts: list[str] = []
    while sum(map(len, parts)) < size:
        words = rng.choice(paragraphs).split(" ")
        i, j = rng.randrange(len(words)), rng.randrange(len(words))
        words[i] = f'<a href="https://example.org/{i}">{words[i]}</a>'
        words[j] = f"<em>{words[j]}</em>"
        parts.append("<p>" + " ".join(words) + ("</p>" if closed else ""))
    return "".join(parts)


def bodies() -> dict[str, dict]:
    """Name → article in the write form."""
    long_href = "https://example.org/" + "a" * 1_970
    return {
        "real 5 KB, settled": {"body": real_body(5_000, closed=True)},
        "real 95 KB, settled": {"body": real_body(95_000, closed=True)},
        "real 95 KB, unclosed <p>": {"body": real_body(95_000, closed=False)},
        "real 95 KB + <div> at the end": {"body": real_body(95_000, closed=True) + "<div>x</div>"},
        '"<ul>" * 16,000 (64 KB)': {"body": "<ul>" * 16_000},
        '"<ul>" * 4,000 (16 KB)': {"body": "<ul>" * 4_000},
        '"<blockquote>" * 4,000': {"body": "<blockquote>" * 4_000 + "x"},
        "depth 32 (the limit), 95 KB": {
            "body": "<blockquote>" * 31 + "<p>" + "x " * 47_000 + "</p>" + "</blockquote>" * 31
        },
        "<b>x</b> * 5,000 (the limit)": {"body": "<b>x</b>" * 5_000},
        "<b>x</b> * 12,000 (96 KB)": {"body": "<b>x</b>" * 12_000},
        '<ul><br title="</ul>"> * 2,000': {"body": '<ul><br title="</ul>">' * 2_000},
        "<b><ul></b> * 1,600": {"body": "<b><ul></b>" * 1_600},
        "<em>s reopened in 3,000 <p>": {"body": "<p><b><i><em><strong>x" + "<p>x" * 3_000},
        "same, depth under the limit": {"body": "<p><b><i><em>x" + "<p>x" * 1_200},
        "2,000-char href * 45": {
            "body": "<p>" + f'<a href="{long_href}" title="{"t" * 100}">x</a>' * 45 + "</p>"
        },
        "one 99,000-char title": {
            "body": '<p><a href="https://e.org/" title="' + "t" * 99_000 + '">x</a></p>'
        },
        "1 MiB of text as body": {"body": "<p>" + "x" * 1_040_000 + "</p>"},
        "1 MiB of text as body_text": {"body_text": "Absatz. " * 130_000},
        "1 MiB of text as lead": {"body_text": "x", "lead": "ä" * 520_000},
    }


def through_schema(article: dict) -> tuple[float, str]:
    schema = ArticleIn()
    slowest, outcome = 0.0, ""
    for _ in range(RUNS):
        start = time.perf_counter()
        try:
            schema.load({**BASE, **article})
            outcome = "accepted"
        except ValidationError as exc:
            outcome = "422 " + "; ".join(
                f"{k}: {v[0] if isinstance(v, list) else v}" for k, v in exc.messages.items()
            )
        slowest = max(slowest, time.perf_counter() - start)
    return slowest * 1000, outcome[:70]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(base: str, token: str, article: dict) -> tuple[float, int]:
    data = json.dumps({**BASE, **article}, ensure_ascii=False).encode()
    slowest, status = 0.0, 0
    for _ in range(RUNS):
        request = urllib.request.Request(
            base + "/v1/articles",
            data=data,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        start = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                response.read()
                status = response.status
        except urllib.error.HTTPError as error:
            error.read()
            status = error.code
        slowest = max(slowest, time.perf_counter() - start)
    return slowest * 1000, status


def main() -> None:
    cases = bodies()
    print(f"{'body':34} {'chars':>9} {'schema ms':>10} {'HTTP ms':>8}  answer")
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3",
            "SECRET_KEY": "bench-secret",
        }
        flask = [sys.executable, "-m", "flask", "--app", "wsgi", "news"]
        subprocess.run([*flask, "migrate"], cwd=ROOT, env=env, check=True, capture_output=True)
        token = subprocess.run(
            [*flask, "token", "create", "bench"],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", "1", "--log-level", "warning",
             "--bind", f"127.0.0.1:{port}", "wsgi:app"],
            cwd=ROOT,
            env=env,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    urllib.request.urlopen(base + "/health", timeout=1)
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        sys.exit("gunicorn did not start")
                    time.sleep(0.1)
            post(base, token, cases["real 5 KB, settled"])  # the worker's first request imports
            worst_schema = worst_http = 0.0
            for name, article in cases.items():
                chars = sum(len(v) for v in article.values())
                schema_ms, outcome = through_schema(article)
                http_ms, status = post(base, token, article)
                worst_schema, worst_http = max(worst_schema, schema_ms), max(worst_http, http_ms)
                print(
                    f"{name:34} {chars:>9,} {schema_ms:>10.1f} {http_ms:>8.1f}  {status} {outcome}"
                )
            print(f"{'slowest':34} {'':>9} {worst_schema:>10.1f} {worst_http:>8.1f}")
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
