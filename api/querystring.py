"""The query string: decoded strictly, once per request, and cut to what a view knows.

A WSGI server hands the query string over as latin-1 text of the raw bytes. Werkzeug decodes
it lazily and fails on bytes that are not UTF-8; a control character would reach a feed's
XML. So every request's query string is decoded here first (`pairs`): anything that is not
UTF-8 text a feed can carry is a 400 naming the parameter. The render cache keys an answer by
the parameters its view knows (`known`), so parameters a view ignores make no new entries,
and the answers themselves (a feed's self link, a list's next link) are built from the same
parameters, so they cannot differ between requests that share a key.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from flask import Flask, request
from marshmallow import Schema
from werkzeug.exceptions import BadRequest

from schemas.fields import forbidden_character

PAIRS_KEY = "newswire.query"  # where a request's decoded pairs wait in the WSGI environ

Pairs = tuple[tuple[str, str], ...]


class BadQueryString(BadRequest):
    """A 400 whose problem names the parameter (api/errors.py reads `data`)."""

    def __init__(self, name: str, message: str):
        super().__init__(message)
        self.data = {"messages": {"query": {name: [message]}}}


def pairs(environ: dict) -> Pairs:
    """Every (name, value) of the query string, in order; BadQueryString if one is not text."""
    found = environ.get(PAIRS_KEY)
    if found is None:
        found = environ[PAIRS_KEY] = decode(environ.get("QUERY_STRING", ""))
    return found


def decode(query: str) -> Pairs:
    if not query:
        return ()
    try:
        text = query.encode("latin-1").decode("utf-8")
    except UnicodeError:
        raise BadQueryString("_query", "The query string holds bytes that are not UTF-8.") from None
    try:
        if "%" in text or "+" in text:
            decoded = tuple(parse_qsl(text, keep_blank_values=True, errors="strict"))
        else:  # nothing to unescape: what parse_qsl would give, without its cost
            decoded = tuple((n, v) for n, _, v in (p.partition("=") for p in text.split("&") if p))
    except UnicodeError:
        name = text.split("=", 1)[0][:50]
        raise BadQueryString(name, "A %-escape is not UTF-8.") from None
    for name, value in decoded:
        if (name + value).isprintable():  # the common case, at C speed: nothing forbidden
            continue
        bad = forbidden_character(name) or forbidden_character(value)
        if bad:
            raise BadQueryString(name[:50], f"The character {bad} is not allowed.")
    return decoded


def known(environ: dict, names: frozenset[str]) -> Pairs:
    """The query's pairs whose name the view reads, in the order they were sent; the whole
    query is checked even when the view reads none of it."""
    found = pairs(environ)
    if not found or not names:
        return ()
    return tuple(pair for pair in found if pair[0] in names)


def names_of(schema: Schema | type[Schema] | None) -> frozenset[str]:
    """The parameter names a query schema reads."""
    if schema is None:
        return frozenset()
    fields = schema().fields if isinstance(schema, type) else schema.fields
    return frozenset(field.data_key or name for name, field in fields.items())


def check_request() -> None:
    """Before every request: a query string that is not text is a 400, whatever the route."""
    pairs(request.environ)


def init_app(app: Flask) -> None:
    app.before_request(check_request)
