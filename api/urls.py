"""Absolute links: PUBLIC_BASE_URL when configured, else the request's own host (SPEC §1)."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import current_app, request
from marshmallow import Schema

from api.querystring import known, names_of


def base_url() -> str:
    public = current_app.config["PUBLIC_BASE_URL"]
    return public or f"{request.scheme}://{request.host}{request.script_root}"


def request_url(query: Schema) -> str:
    """The URL requested, on the public base, with the query parameters `query` reads."""
    return with_query(request.path, list(known(request.environ, names_of(query))))


def with_query(path: str, params: list[tuple[str, str]]) -> str:
    return base_url() + path + ("?" + urlencode(params) if params else "")
