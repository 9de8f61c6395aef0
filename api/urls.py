"""Absolute links: PUBLIC_BASE_URL when configured, else the request's own host (SPEC §1)."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import current_app, request


def base_url() -> str:
    public = current_app.config["PUBLIC_BASE_URL"]
    return public or f"{request.scheme}://{request.host}{request.script_root}"


def request_url() -> str:
    """The exact URL requested, query included, on the public base."""
    query = request.query_string.decode("latin-1")
    return base_url() + request.path + ("?" + query if query else "")


def with_query(path: str, params: list[tuple[str, str]]) -> str:
    return base_url() + path + ("?" + urlencode(params) if params else "")
