"""JSON request bodies, read so that no number in them can cost more than it is worth.

Python refuses to turn a JSON integer of more than 4,300 digits into an int (a ValueError
that no JSON error handler expects), and even below that the conversion costs quadratic
time. No field of ours holds such a number, so an integer literal longer than
`MAX_INTEGER_DIGITS` is read as `TOO_LONG`, a value every field rejects: a 422 naming the
field, like any other wrong type. Flask's `request.get_json` and flask-smorest's body
arguments both read bodies here.
"""

from __future__ import annotations

import json
from typing import Any

from flask.json.provider import DefaultJSONProvider
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

MAX_INTEGER_DIGITS = 40


class TooLong:
    """A number no field accepts."""

    def __repr__(self) -> str:
        return "<number too long>"


TOO_LONG = TooLong()


def bounded_int(literal: str) -> int | TooLong:
    return TOO_LONG if len(literal) > MAX_INTEGER_DIGITS else int(literal)


def loads(data: str | bytes) -> Any:
    """json.loads, with long integers read as TOO_LONG (UnicodeDecodeError for non-UTF-8)."""
    text = data.decode("utf-8") if isinstance(data, bytes) else data
    return json.loads(text, parse_int=bounded_int)


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON, reading through `loads` (request.get_json)."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return loads(s)


class BodyParser(FlaskParser):
    """webargs' Flask parser, reading JSON bodies through `loads`."""

    def _raw_load_json(self, req):
        if not is_json_request(req):
            return core.missing
        return loads(req.get_data(cache=True))


PARSER = BodyParser()
