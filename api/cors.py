"""CORS: a public API, so any web page may read it, and its scripts may see our headers."""

from __future__ import annotations

from flask import Flask, Response, request

CORS_HEADERS = (
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Expose-Headers", "ETag, Last-Modified, Link, Location, Idempotent-Replayed"),
)
PREFLIGHT_HEADERS = (
    ("Access-Control-Allow-Methods", "GET, HEAD, POST, PUT, PATCH, DELETE"),
    (
        "Access-Control-Allow-Headers",
        "Authorization, Content-Type, If-Match, If-None-Match, If-Modified-Since, Idempotency-Key",
    ),
    ("Access-Control-Max-Age", "86400"),
)


def add_cors_headers(response: Response) -> Response:
    """After every request: the CORS headers, and a preflight's."""
    for name, value in CORS_HEADERS:
        response.headers.setdefault(name, value)
    if request.method == "OPTIONS":
        for name, value in PREFLIGHT_HEADERS:
            response.headers.setdefault(name, value)
    return response


def init_app(app: Flask) -> None:
    app.after_request(add_cors_headers)
