"""How long the worst bodies take: through the schema, and as a POST to a real server.

`.venv/bin/python bench/hostile_bodies.py` builds bodies that cost html5lib the most (deep
nesting, many elements, formatting elements the parser reopens, long attributes, a mebibyte
of text) and real article bodies (settled already, and the same with unclosed paragraphs,
which html5lib must settle), loads each through ArticleIn five times, then POSTs each five
times to gunicorn (one sync worker, a fresh SQLite database) and prints the median and the
slowest of each (on a shared machine the slowest is often another process's doing) with what
the answer was. The figures go in the README's "Security and limits".
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from marshmallow import ValidationError  # noqa: E402

from deploy.flask_news import flask_news  # noqa: E402
from deploy.server import serve  # noqa: E402
from schemas.article import ArticleIn  # noqa: E402

RUNS = 5
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
        '"<ul>" * 2,900 (12 KB)': {"body": "<ul>" * 2_900},
        '"<blockquote>" * 2,900': {"body": "<blockquote>" * 2_900 + "x"},
        "depth 32 (the limit), 95 KB": {
            "body": "<blockquote>" * 31 + "<p>" + "x " * 47_000 + "</p>" + "</blockquote>" * 31
        },
        "<b>x</b> * 3,000 (the limit)": {"body": "<b>x</b>" * 3_000},
        "<b>x</b> * 12,000 (96 KB)": {"body": "<b>x</b>" * 12_000},
        '<ul><br title="</ul>"> * 1,400': {"body": '<ul><br title="</ul>">' * 1_400},
        "<b><ul></b> * 1,400": {"body": "<b><ul></b>" * 1_400},
        "<em>s reopened in 3,000 <p>": {"body": "<p><b><i><em><strong>x" + "<p>x" * 3_000},
        "the same in 2,900 <p> (stops in the parse)": {
            "body": "<p><b><i><em><strong>x" + "<p>x" * 2_900
        },
        "same, depth under the limit": {"body": "<p><b><i><em>x" + "<p>x" * 740},
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


def through_schema(article: dict) -> tuple[list[float], str]:
    schema = ArticleIn()
    times, outcome = [], ""
    for _ in range(RUNS):
        start = time.perf_counter()
        try:
            schema.load({**BASE, **article})
            outcome = "accepted"
        except ValidationError as exc:
            outcome = "422 " + "; ".join(
                f"{k}: {v[0] if isinstance(v, list) else v}" for k, v in exc.messages.items()
            )
        times.append((time.perf_counter() - start) * 1000)
    return times, outcome[:60]


def post(base: str, token: str, article: dict) -> tuple[list[float], int]:
    data = json.dumps({**BASE, **article}, ensure_ascii=False).encode()
    times, status = [], 0
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
        times.append((time.perf_counter() - start) * 1000)
    return times, status


def main() -> None:
    cases = bodies()
    print(f"{'body':42} {'chars':>9} {'schema ms':>14} {'HTTP ms':>14}  answer")
    print(f"{'':42} {'':>9} {'median   max':>14} {'median   max':>14}")
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.sqlite3"
        env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench-secret"}
        flask_news(url, "migrate", env=env)
        token = flask_news(url, "token", "create", "bench", env=env)
        # one sync worker, gunicorn's own defaults otherwise
        with serve("--log-level", "warning", config=None, workers=1, env=env) as server:
            base = server.url
            post(base, token, cases["real 5 KB, settled"])  # the worker's first request imports
            worst_schema = worst_http = 0.0
            ms = "{:>6.1f} {:>7.1f}".format
            for name, article in cases.items():
                chars = sum(len(v) for v in article.values())
                schema_ms, outcome = through_schema(article)
                http_ms, status = post(base, token, article)
                worst_schema = max(worst_schema, statistics.median(schema_ms))
                worst_http = max(worst_http, statistics.median(http_ms))
                print(
                    f"{name:42} {chars:>9,} {ms(statistics.median(schema_ms), max(schema_ms))}"
                    f" {ms(statistics.median(http_ms), max(http_ms))}  {status} {outcome}"
                )
            print(f"{'slowest median':42} {'':>9} {worst_schema:>6.1f} {'':7} {worst_http:>6.1f}")


if __name__ == "__main__":
    main()
