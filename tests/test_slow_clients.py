"""Slow and idle clients cannot hold the server: gunicorn started as `make run` starts it.

Half-open connections (a request line and a header, then nothing) and idle kept-alive
connections are what a slow mobile client, or anyone with a shell, can open by the hundred.
Each test opens 50 of them, far more than there are workers, and a normal request must still
be answered (the bound is generous: a loaded machine is slow, a blocked server never answers).
"""

from __future__ import annotations

import http.client
import json
import socket
import time
import urllib.request
from contextlib import ExitStack
from urllib.parse import urlsplit

MANY = 50
BOUND = 5  # seconds: far more than a request takes, far less than gunicorn's 30 s timeout


def connect(base: str) -> socket.socket:
    address = urlsplit(base)
    return socket.create_connection((address.hostname, address.port), timeout=BOUND)


def test_a_request_is_answered_while_many_clients_send_their_headers_slowly(gunicorn):
    base = gunicorn()
    with ExitStack() as stack:
        for _ in range(MANY):
            slow = stack.enter_context(connect(base))
            slow.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ")  # and never finishes
        with urllib.request.urlopen(base + "/health", timeout=BOUND) as response:
            assert response.status == 200


def test_idle_kept_alive_connections_hold_no_worker(gunicorn):
    base = gunicorn()
    address = urlsplit(base)
    with ExitStack() as stack:
        for _ in range(MANY):
            idle = http.client.HTTPConnection(address.hostname, address.port, timeout=BOUND)
            stack.callback(idle.close)
            idle.request("GET", "/health")
            assert idle.getresponse().read()  # and the connection stays open, unused
        with urllib.request.urlopen(base + "/v1/articles", timeout=BOUND) as response:
            assert response.status == 200


def test_a_connection_is_kept_alive_between_requests(gunicorn):
    base = gunicorn()
    address = urlsplit(base)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=BOUND)
    try:
        connection.request("GET", "/health")
        first = connection.getresponse()
        first.read()
        assert first.status == 200
        assert first.getheader("Connection", "").lower() != "close"
        sock = connection.sock
        connection.request("GET", "/v1/articles")
        second = connection.getresponse()
        second.read()
        assert second.status == 200
        assert connection.sock is sock  # the same TCP connection answered both
    finally:
        connection.close()


def test_a_stalled_request_is_dropped_after_the_keepalive_time(gunicorn):
    base = gunicorn(KEEPALIVE="1")
    with connect(base) as stalled:
        stalled.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")  # headers never end
        assert stalled.recv(1024) == b""  # closed by the server, well before BOUND


def raw_answer(base: str, request: bytes) -> tuple[int, dict, dict]:
    """Send raw bytes, parse gunicorn's answer with the standard library's own parser."""
    with connect(base) as sock:
        sock.sendall(request)
        response = http.client.HTTPResponse(sock)
        response.begin()
        return response.status, dict(response.getheaders()), json.loads(response.read())


MALFORMED = {
    "request line too long": (b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    "header too large": (b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n", 431),
    "too many headers": (b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X-Many: 1\r\n" * 120 + b"\r\n", 431),
    "invalid header name": (b"GET / HTTP/1.1\r\nHost: x\r\nBad Name: 1\r\n\r\n", 400),
}


def test_gunicorns_own_errors_are_problem_json(gunicorn):
    """Requests gunicorn refuses before the app sees them answer like the app does."""
    base = gunicorn()
    for case, (request_bytes, status) in MALFORMED.items():
        got, headers, body = raw_answer(base, request_bytes)
        assert got == status, case
        assert headers["Content-Type"] == "application/problem+json", case
        assert headers["Access-Control-Allow-Origin"] == "*", case
        assert body["status"] == status and body["type"] == "about:blank", case
        assert body["title"] and body["detail"], case


def test_a_stalled_or_trickling_body_is_cut_off_at_the_body_timeout(gunicorn, token):
    """A writer's body must arrive within BODY_TIMEOUT seconds in all: a stalled upload, or one
    that trickles a byte at a time, gets a 400 problem and does not hold its connection."""
    base = gunicorn(BODY_TIMEOUT="1")
    head = (
        "POST /v1/articles HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {token}\r\nContent-Length: 1000\r\n\r\n"
    ).encode()
    for trickle in (False, True):
        with connect(base) as sock:
            sock.sendall(head + b'{"headline": "')
            if trickle:
                for _ in range(15):  # a byte every 0.3 s: each read is quick, the whole is not
                    sock.sendall(b"a")
                    time.sleep(0.3)
            response = http.client.HTTPResponse(sock)
            response.begin()  # within BOUND, or the socket times out and the test fails
            assert response.status == 400, trickle
            assert response.getheader("Content-Type") == "application/problem+json"
            assert response.getheader("Cache-Control") == "no-store"


def test_a_client_that_never_reads_its_answers_is_dropped_after_the_send_timeout(gunicorn):
    """Pipelined requests whose answers are never read fill the socket; the server gives up
    sending after SEND_TIMEOUT seconds instead of holding the connection for ever."""
    base = gunicorn(SEND_TIMEOUT="1")
    address = urlsplit(base)
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect((address.hostname, address.port))
        sock.sendall(b"GET /feeds/atom.xml?limit=100 HTTP/1.1\r\nHost: x\r\n\r\n" * 300)
        time.sleep(3)  # reads nothing: the server's writes block
        sock.settimeout(0.5)
        deadline = time.monotonic() + 3  # less than KEEPALIVE (5): no idle close counts
        closed = False
        while time.monotonic() < deadline and not closed:
            try:
                closed = sock.recv(1 << 20) == b""
            except ConnectionResetError:
                closed = True
            except TimeoutError:
                break
        assert closed
