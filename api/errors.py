"""Every error, from any endpoint, as application/problem+json (RFC 9457), in one place.

`PROBLEMS` says what each exception of ours means; `problem_for` turns any error into a
problem, starting from an HTTP exception's own response so that its headers (Allow,
WWW-Authenticate) survive.
"""

from __future__ import annotations

import json
import logging
from http import HTTPStatus

from flask import Flask, Response
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from api import store

PROBLEM_MIMETYPE = "application/problem+json"

log = logging.getLogger(__name__)

# exception -> (status, detail, title when it is not the status's own phrase)
PROBLEMS: dict[type[BaseException], tuple[int, str, str | None]] = {
    store.NotFound: (404, "No article has this id or slug.", None),
    store.Gone: (410, "This article was deleted.", None),
    store.PreconditionFailed: (
        412,
        "If-Match does not match the article's current ETag: fetch it again and retry.",
        None,
    ),
    store.IdempotencyConflict: (
        422,
        "This Idempotency-Key was already used with a different request body.",
        "Idempotency-Key reused",
    ),
    store.BadCursor: (400, "The cursor is not one this server issued.", None),
    store.TooSlow: (
        503,
        "This query took too long and was stopped: narrow it with more filters"
        " (section, tag, author, language, dates).",
        None,
    ),
    RecursionError: (400, "The request body is nested too deeply.", None),
}
# a database that cannot be reached or written just now (store.is_outage says which errors)
OUTAGE = (503, "The database cannot be reached or written just now: retry shortly.", None)
PROBLEMS.update(dict.fromkeys(store.DATABASE_ERRORS, OUTAGE))
RETRY_AFTER = "5"  # seconds, sent with every outage


def problem(status: int, title: str | None = None, detail: str | None = None, **extra) -> Response:
    """A problem+json response; `extra` adds members such as `errors`."""
    title = title or HTTPStatus(status).phrase
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail or title}
    body.update(extra)
    # backslashreplace: a lone surrogate echoed from the request stays JSON, not a 500
    text = json.dumps(body, ensure_ascii=False).encode("utf-8", "backslashreplace")
    response = Response(text, status=status, mimetype=PROBLEM_MIMETYPE)
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "no-store"
    return response


def unavailable(detail: str) -> Response:
    """503 with Retry-After: the database cannot serve this request just now."""
    response = problem(503, None, detail)
    response.headers["Retry-After"] = RETRY_AFTER
    return response


def field_errors(messages, prefix: str = "") -> dict[str, list[str]]:
    """Flatten marshmallow's nested messages to {"related.1.url": [...]}."""
    flat: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            # a key the client sent may be a lone surrogate: name it as its escape, \ud800
            key = str(key).encode("utf-8", "backslashreplace").decode("utf-8")
            path = f"{prefix}.{key}" if prefix else key
            flat.update(field_errors(value, path))
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        flat[prefix or "_schema"] = list(messages)
    elif isinstance(messages, list):
        for item in messages:
            flat.update(field_errors(item, prefix))
    else:
        flat[prefix or "_schema"] = [str(messages)]
    return flat


def invalid(messages, status: int = 422) -> Response:
    """422 for an invalid body; 400 (same shape) for invalid query parameters."""
    errors = field_errors(messages)
    fields = ", ".join(sorted(errors))
    if status == 400:
        return problem(400, detail=f"Invalid query parameters: {fields}.", errors=errors)
    return problem(
        422, "Unprocessable Content", f"The request has invalid fields: {fields}.", errors=errors
    )


def http_problem(error: HTTPException) -> Response:
    """A werkzeug/Flask abort (webargs' 400/422 included), with the exception's own headers."""
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    messages = data.get("messages")
    # webargs nests messages under their location: a bad query is the client's 400
    if status in (400, 422) and isinstance(messages, dict) and "query" in messages:
        return invalid(messages["query"], status=400)
    if status == 422 and messages:
        if isinstance(messages, dict) and "json" in messages:
            messages = messages["json"]
        return invalid(messages)
    detail = "The request body is not valid JSON." if status == 400 and messages else None
    response = problem(status, error.name, detail or error.description)
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def problem_for(error: BaseException) -> Response:
    """Any error as a problem: ours by the table, HTTP errors with their headers, else 500."""
    if isinstance(error, HTTPException):
        return http_problem(error)
    if isinstance(error, ValidationError):
        return invalid(error.messages)
    for kind in type(error).__mro__:
        if kind in PROBLEMS:
            if PROBLEMS[kind] is OUTAGE:
                if not store.is_outage(error):
                    break  # a mistake in our SQL: a 500, below, not a retry
                log.warning("database unavailable: %s", error)
                return unavailable(OUTAGE[1])
            status, detail, title = PROBLEMS[kind]
            return problem(status, title, detail)
    log.exception("unhandled error", exc_info=error)
    return problem(500, detail="Something went wrong on our side.")


def init_app(app: Flask) -> None:
    """Every exception goes to `problem_for` (flask-smorest's handler too: api/openapi.py)."""
    app.register_error_handler(Exception, problem_for)
