"""gunicorn's settings for Newswire: `gunicorn -c deploy/gunicorn.conf.py wsgi:app`.

gevent workers: each connection is a greenlet of a few kilobytes, so slow, idle and (later)
long-polling clients wait without holding a worker or a thread; README "Serving" gives the
measurements behind the choice. gunicorn's worker patches the standard library for gevent
when it starts, before it imports the app; nothing here imports `api`.

Every setting can be changed from the environment; command-line flags override this file.
"""

import json
import os
import time

from gunicorn import util

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WORKERS", "4"))
worker_class = "gevent"
# connections one worker holds at once (in requests, in keep-alive, or still sending)
worker_connections = int(os.environ.get("WORKER_CONNECTIONS", "1000"))
# seconds a connection may take to send a request: between requests, and for the headers of
# each one (the gevent worker reads every request under this limit), so slow senders go too
keepalive = int(os.environ.get("KEEPALIVE", "5"))
# seconds a worker may block its event loop before the master restarts it
timeout = int(os.environ.get("TIMEOUT", "30"))
graceful_timeout = 10  # seconds open requests get to finish when a worker stops
# seconds a request's body may take to arrive, in all: a stalled or trickling upload is cut off
# (the app answers 400) instead of holding its connection for as long as the client likes
body_timeout = float(os.environ.get("BODY_TIMEOUT", "30"))
# seconds one answer may take to be sent: a client that stops reading (say, pipelining requests
# and never reading the answers) is dropped instead of holding its connection for ever
send_timeout = float(os.environ.get("SEND_TIMEOUT", "60"))
# The one header that says a request came over TLS: the proxy in front (deploy/nginx.conf) sets
# it, overwriting a client's. gunicorn's defaults also trust X-Forwarded-Ssl and
# X-Forwarded-Protocol, which nginx passes on as the client sent them: a client could then
# contradict the proxy's X-Forwarded-Proto and get a 400 from gunicorn itself.
secure_scheme_headers = {"X-FORWARDED-PROTO": "https"}
accesslog = os.environ.get("ACCESS_LOG", "-") or None  # "-": standard output; "": none
# the request line and header sizes gunicorn accepts (its defaults, stated here)
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190


def write_problem(sock, status_int, reason, mesg):
    """gunicorn's own error answers (request line or headers too large, a request it cannot
    parse) as application/problem+json, like every answer of the app (RFC 9457)."""
    body = json.dumps(
        {"type": "about:blank", "title": reason, "status": status_int, "detail": mesg or reason}
    ).encode()
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/problem+json\r\n"
        "Cache-Control: no-store\r\n"
        "Access-Control-Allow-Origin: *\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    util.write_nonblock(sock, head.encode("latin-1") + body)


util.write_error = write_problem  # the one function every worker class answers errors with


class BodyDeadline:
    """A client socket as gunicorn's reader of one request sees it: every read waits only
    until the request's deadline, so the whole body must arrive within `body_timeout`.

    A read past it raises TimeoutError; Werkzeug turns that into a 400 (ClientDisconnected)."""

    def __init__(self, sock, seconds: float):
        self.sock, self.deadline = sock, time.monotonic() + seconds

    def recv(self, size: int) -> bytes:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the request body did not arrive in time")
        before = self.sock.gettimeout()
        self.sock.settimeout(left)
        try:
            return self.sock.recv(size)
        finally:
            self.sock.settimeout(before)


def pre_request(worker, req):
    """Reads of this request's body run against its deadline (headers have `keepalive`), and
    writes of its answer against `send_timeout` (gevent's sendall counts the whole write)."""
    req.unreader.sock.settimeout(send_timeout)
    req.unreader.sock = BodyDeadline(req.unreader.sock, body_timeout)


def post_request(worker, req, environ, resp):
    """The next request on a kept-alive connection reads from the plain socket again."""
    if isinstance(req.unreader.sock, BodyDeadline):
        req.unreader.sock = req.unreader.sock.sock
