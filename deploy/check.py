"""`make deploy-check`: the production set (deploy/stack.py) checked end to end, as users meet it.

Starts PostgreSQL's database, two app servers, the delivery process and nginx on loopback
ports, then checks: reads and writes through nginx (an edit with the weak ETag nginx's gzip
hands on included); a write through one app server served by the other and through nginx
within 2 s (the distribution over 8 writes is printed), and as the second after a read begins
(X-Accel-Expires); the first reader of a URL left alone since its copy expired gets the news,
and a deleted article leaves the cache; a scheduled article through nginx within 1 s of its
instant, and no browser's copy of a feed without it past the instant; 304s; gzip that
decodes to the same bytes; 200 slow clients absorbed; a long-poll through nginx woken by a
write through another server, and one spelled `%77ait=` not answered from nginx's cache; a
webhook delivered once. Exits non-zero when any check fails.
"""

from __future__ import annotations

import gzip
import json
import math
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from deploy.stack import Stack

ARTICLE = {
    "headline": "Probe aus dem Rechenzentrum",
    "lead": "Ein Artikel, den die Prüfung der Auslieferung schreibt.",
    "body_text": "Er geht durch nginx und zwei Anwendungsserver.",
    "section": "technik",
    "status": "published",
}
POLL = 0.05  # seconds between two looks for an article; a measured delay may include one
failures: list[str] = []


def request(url: str, method: str = "GET", body=None, headers=None, timeout: float = 10):
    data = json.dumps(body).encode() if body is not None else None
    headers = {**({"Content-Type": "application/json"} if data else {}), **(headers or {})}
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def check(name: str, ok: bool, detail: str = "") -> None:
    print(f"{'ok  ' if ok else 'FAIL'}  {name}{': ' + detail if detail else ''}", flush=True)
    if not ok:
        failures.append(name)


def write(stack: Stack, base: str, **fields) -> dict:
    auth = {"Authorization": f"Bearer {stack.token}"}
    status, _, body = request(base + "/v1/articles", "POST", {**ARTICLE, **fields}, auth)
    assert status == 201, (status, body)
    return json.loads(body)


def listed_ids(url: str) -> list[str]:
    return [a["id"] for a in json.loads(request(url)[2])["items"]]


def seconds_until_listed(url: str, article_id: str, since: float, limit: float = 10) -> float:
    while time.monotonic() - since < limit:
        if article_id in listed_ids(url):
            return time.monotonic() - since
        time.sleep(POLL)
    return float("inf")


def check_reads_and_writes(stack: Stack) -> None:
    a, b = stack.app_urls[:2]
    article = write(stack, stack.url, headline="Durch nginx geschrieben")
    status, headers, body = request(f"{stack.url}/v1/articles/{article['slug']}")
    check("a write through nginx reads back through nginx", status == 200, headers.get("ETag"))
    article = write(stack, a, headline="Durch Server A geschrieben")
    check(
        "a write through A is served by B at once", article["id"] in listed_ids(b + "/v1/articles")
    )
    long = write(stack, stack.url, headline="Lang", body_text="Ein langer Absatz. " * 100)
    url = f"{stack.url}/v1/articles/{long['id']}"
    _, headers, _ = request(url, headers={"Accept-Encoding": "gzip"})  # nginx weakens its ETag
    status = request(
        url, "PATCH", {"lead": "Durch nginx bearbeitet."},
        {"Authorization": f"Bearer {stack.token}", "If-Match": headers.get("ETag", "")},
    )[0]  # fmt: skip
    check("an edit through nginx with the ETag read through it (gzip)", status == 200, str(status))
    drafts = write(stack, stack.url, headline="Entwurf", status="draft")
    hidden = request(f"{stack.url}/v1/articles/{drafts['id']}")[0]
    auth = {"Authorization": f"Bearer {stack.token}"}
    seen = request(f"{stack.url}/v1/articles/{drafts['id']}", headers=auth)[0]
    again = request(f"{stack.url}/v1/articles/{drafts['id']}")[0]
    check(
        "a draft: 404 to readers, 200 to a writer, never cached",
        (hidden, seen, again) == (404, 200, 404),
    )


def check_freshness(stack: Stack) -> None:
    url = stack.url + "/v1/articles?section=technik"
    delays = []
    for i in range(8):
        request(url), request(url)  # the list is in nginx's cache
        article = write(stack, stack.app_urls[0], headline=f"Frische {i}")
        delays.append(seconds_until_listed(url, article["id"], time.monotonic()))
        time.sleep(0.3 * i % 1.1)  # writes land at different points of the cache's second
    worst = max(delays)
    check(  # nginx holds a copy to the end of the second it was made in (X-Accel-Expires)
        "a write through A shows through nginx within 2 s (8 writes)",
        worst <= 2,  # the time of the look that sees it included
        f"min {min(delays):.2f} s, median {statistics.median(delays):.2f} s, max {worst:.2f} s",
    )


def check_next_second(stack: Stack) -> None:
    """nginx serves a copy no later than the second it was made in (X-Accel-Expires), so a
    write after a read shows as the next second begins; from `s-maxage=1` alone nginx would
    serve the copy through that next second too, which the 2 s above cannot tell apart."""
    stale = []
    for i in range(3):
        url = f"{stack.url}/v1/articles?section=sekunde&limit={10 + i}"  # a URL nginx lacks
        request(url)
        served = time.time()  # nginx's copy was made in this second or before
        article = write(stack, stack.app_urls[0], section="sekunde", headline=f"Sekunde {i}")
        time.sleep(max(0.0, math.floor(served) + 1.05 - time.time()))
        if article["id"] not in listed_ids(url):
            stale.append(i)
    check(
        "a write shows through nginx as the next second begins",
        not stale,
        f"{len(stale)} of 3 reads got the copy of the second before",
    )


def check_quiet_url(stack: Stack) -> None:
    """A URL nobody asked for since its copy expired: its first reader gets the news, not the
    expired copy (nginx must not answer with it while it refreshes it in the background)."""
    url = stack.url + "/v1/articles?section=ruhe"
    request(url)  # in nginx's cache, then left alone
    article = write(stack, stack.app_urls[0], section="ruhe", headline="Ruhige Adresse")
    time.sleep(2.5)
    check(
        "a write shows to the first reader of a quiet URL (2.5 s later)",
        article["id"] in listed_ids(url),
    )
    auth = {"Authorization": f"Bearer {stack.token}"}
    url = f"{stack.url}/v1/articles/{article['id']}"
    request(url), request(url)  # the article is in nginx's cache
    request(url, "DELETE", headers={**auth, "If-Match": "*"})
    time.sleep(2.5)
    statuses = [request(url)[0] for _ in range(3)]
    check(
        "a deleted article is gone through nginx after 2.5 s", statuses == [410] * 3, str(statuses)
    )


def check_scheduled(stack: Stack) -> None:
    """A scheduled article shows at its instant, and no copy without it outlives the instant:
    not nginx's, nor a browser's copy of a feed (max-age=60 before clipping) that nginx handed
    on late in its second without an Age header."""
    url = stack.url + "/v1/articles?section=termine"
    feed = stack.url + "/feeds/rss.xml?section=termine"
    instant = datetime.fromtimestamp(math.floor(time.time()) + 4.5, UTC)  # mid-second
    article = write(stack, stack.app_urls[1], section="termine", published_at=instant.isoformat())
    early, outlived = False, -math.inf
    while datetime.now(UTC) < instant - timedelta(seconds=0.5):
        early = early or article["id"] in listed_ids(url)
        asked = time.time()  # a browser counts max-age from its request (RFC 9111, 4.2.3)
        _, headers, body = request(feed)
        if article["id"] not in body.decode():
            max_age = int(headers["Cache-Control"].split("max-age=")[1].split(",")[0])
            outlived = max(outlived, asked + max_age - instant.timestamp())
        time.sleep(0.1)
    check("a scheduled article is not shown before its instant", not early)
    check(
        "a browser's copy of a feed without it expires by the instant",
        outlived <= 0,
        f"the latest {outlived:+.2f} s after it",
    )
    seconds_until_listed(url, article["id"], time.monotonic())
    late = time.time() - instant.timestamp()
    check(
        "a scheduled article shows through nginx within 1 s of its instant",
        late <= 1,
        f"{max(late, 0):.2f} s after",
    )


def check_conditional_and_gzip(stack: Stack) -> None:
    for path in ("/feeds/rss.xml", "/v1/articles", "/feeds/atom.xml"):
        status, headers, plain = request(stack.url + path)
        etag = headers.get("ETag")
        status304 = request(stack.url + path, headers={"If-None-Match": etag})[0]
        check(f"304 through nginx for {path}", status == 200 and status304 == 304)
        check(f"nginx keeps X-Accel-Expires to itself for {path}", "X-Accel-Expires" not in headers)
        _, zipped_headers, zipped = request(stack.url + path, headers={"Accept-Encoding": "gzip"})
        same = zipped_headers.get("Content-Encoding") == "gzip" and gzip.decompress(zipped) == plain
        check(
            f"gzip for {path} decodes to the same bytes",
            same,
            f"{len(plain)} → {len(zipped)} bytes",
        )


def check_forwarded_headers(stack: Stack) -> None:
    """A client's own X-Forwarded-* headers cannot contradict nginx's (gunicorn would refuse)."""
    forged = {"X-Forwarded-Ssl": "on", "X-Forwarded-Protocol": "ssl", "X-Forwarded-Proto": "https"}
    status = request(stack.url + "/v1/articles?section=vorgeblich", headers=forged)[0]
    check("a client's forged X-Forwarded-* headers change nothing", status == 200, str(status))


def check_debian_layout(stack: Stack) -> None:
    """deploy/nginx.conf as its header says to use it in Debian's /etc/nginx: the http block's
    contents without the lines marked standalone in conf.d, and Debian's default site removed.
    nginx must take it without an error or a warning (a directive that Debian's nginx.conf
    sets already is an error: nginx would not start)."""
    debian = Path("/etc/nginx/nginx.conf")
    include = "include /etc/nginx/conf.d/*.conf;"
    if os.geteuid() != 0 or not debian.exists() or include not in debian.read_text():
        print("skip  the conf.d form in Debian's nginx.conf: not root, or no Debian nginx.conf")
        return
    conf = stack.nginx_conf()
    contents = conf[conf.index("\nhttp {") + len("\nhttp {") : conf.rindex("}")]
    ours = stack.run_dir / "newswire.conf"
    ours.write_text("".join(line for line in contents.splitlines(True) if "standalone" not in line))
    main = debian.read_text().replace(include, f"include {ours};")
    # nginx -t creates the pid file: one of the run's own, not Debian's
    main = re.sub(r"(?m)^pid .*;", f"pid {stack.run_dir}/debian.pid;", main)
    (stack.run_dir / "debian.conf").write_text(
        main.replace("include /etc/nginx/sites-enabled/*;", "")
    )
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    test = [nginx, "-t", "-q", "-c", str(stack.run_dir / "debian.conf")]
    done = subprocess.run(
        [*test, "-e", str(stack.run_dir / "t.log")], capture_output=True, text=True
    )
    complaints = [
        line for line in done.stderr.splitlines() if "[warn]" in line or "[emerg]" in line
    ]
    check(
        "the conf.d form of deploy/nginx.conf works in Debian's nginx.conf",
        done.returncode == 0 and not complaints,
        "; ".join(c.partition("] ")[2] for c in complaints)[:300],
    )


def check_slow_clients(stack: Stack, count: int = 200) -> None:
    sockets = []
    try:
        for _ in range(count):
            s = socket.create_connection(("127.0.0.1", stack.proxy_port))
            s.sendall(b"GET /v1/articles HTTP/1.1\r\nHost: x\r\n")  # and never the end
            sockets.append(s)
        times = []
        for _ in range(10):
            started = time.monotonic()
            status = request(stack.url + "/v1/articles?section=technik", timeout=5)[0]
            times.append(time.monotonic() - started if status == 200 else float("inf"))
        check(
            f"{count} slow clients absorbed by nginx",
            max(times) < 1,
            f"slowest of 10 requests {max(times) * 1000:.0f} ms",
        )
    finally:
        for s in sockets:
            s.close()


def check_long_poll(stack: Stack) -> None:
    head = json.loads(request(stack.url + "/v1/changes?since=0&limit=1000")[2])["next_since"]
    result: dict = {}

    def wait() -> None:
        started = time.monotonic()
        status, _, body = request(f"{stack.url}/v1/changes?since={head}&wait=20", timeout=30)
        result.update(
            status=status,
            body=json.loads(body),
            at=time.monotonic(),
            took=time.monotonic() - started,
        )

    waiter = threading.Thread(target=wait)
    waiter.start()
    time.sleep(1)
    article = write(stack, stack.app_urls[1], headline="Weckt die Wartenden")
    written = time.monotonic()
    waiter.join(25)
    ids = [c["id"] for c in result.get("body", {}).get("changes", [])]
    check(
        "a long-poll through nginx wakes on a write through another server",
        result.get("status") == 200 and article["id"] in ids,
        f"answered {result.get('at', float('inf')) - written:.2f} s after the write",
    )


def check_escaped_wait(stack: Stack) -> None:
    """A wait spelled `%77ait=` is a long-poll at the app, which nginx's $arg_wait cannot see:
    the app's no-cache keeps nginx from answering the next waiter with the empty page."""
    head = json.loads(request(stack.url + "/v1/changes?since=0&limit=1000")[2])["next_since"]
    waited = []
    for _ in range(2):
        started = time.monotonic()
        request(f"{stack.url}/v1/changes?since={head}&%77ait=1")
        waited.append(time.monotonic() - started)
    check(
        "a long-poll with %77ait= waits, and nginx does not keep its empty page",
        min(waited) >= 0.9,
        ", ".join(f"{w:.2f} s" for w in waited),
    )


class Receiver(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.received.append((dict(self.headers), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def check_webhook(stack: Stack) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        auth = {"Authorization": f"Bearer {stack.token}"}
        hook_url = f"http://127.0.0.1:{server.server_address[1]}/hook"
        status, _, body = request(stack.url + "/v1/webhooks", "POST", {"url": hook_url}, auth)
        check("a webhook is registered through nginx", status == 201, body.decode()[:80])
        article = write(stack, stack.app_urls[0], headline="Für den Webhook")
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            ids = [json.loads(b).get("id") for _, b in Receiver.received]
            if article["id"] in ids:
                break
            time.sleep(0.1)
        time.sleep(2)  # a second delivery of the same change would arrive by now
        message_ids = [h.get("webhook-id") for h, _ in Receiver.received]
        delivered = [json.loads(b).get("id") for _, b in Receiver.received].count(article["id"])
        check(
            "webhooks are delivered once",
            delivered == 1 and len(message_ids) == len(set(message_ids)),
            f"{len(Receiver.received)} deliveries, {delivered} of the new article",
        )
    finally:
        server.shutdown()


def main() -> int:
    started = time.monotonic()
    with Stack() as stack:
        print(f"nginx on {stack.url}, app servers {', '.join(stack.app_urls)}", flush=True)
        check_reads_and_writes(stack)
        check_freshness(stack)
        check_next_second(stack)
        check_quiet_url(stack)
        check_scheduled(stack)
        check_conditional_and_gzip(stack)
        check_forwarded_headers(stack)
        check_debian_layout(stack)
        check_slow_clients(stack)
        check_long_poll(stack)
        check_escaped_wait(stack)
        check_webhook(stack)
    print(f"{len(failures)} failed in {time.monotonic() - started:.0f} s", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
