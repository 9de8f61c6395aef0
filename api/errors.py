"""Every error, from any endpoint, as application/problem+json (RFC 9457)."""

from __future__ import annotations

import json
import logging

from flask import Flask, Response
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from api import store

PROBLEM_MIMETYPE = "application/problem+json"

log = logging.getLogger(__name__)


def problem(status: int, title: str, detail: str | None = None, **extra) -> Response:
    """A problem+json response; `extra` adds members such as `errors`."""
    body = {"type": "about:blank", "title": title, "status": status}
    body["detail"] = detail or title
    body.update(extra)
    response = Response(
        json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM_MIMETYPE
    )
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "no-store"
    return response


def field_errors(messages, prefix: str = "") -> dict[str, list[str]]:
    """Flatten marshmallow's nested messages to {"related.1.url": [...]}."""
    flat: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            flat.update(field_errors(value, path))
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        flat[prefix or "_schema"] = list(messages)
    elif isinstance(messages, list):
        for item in messages:
            flat.update(field_errors(item, prefix))
    else:
        flat[prefix or "_schema"] = [str(messages)]
    return flat


def unprocessable(messages, status: int = 422) -> Response:
    """422 for an invalid body; 400 (same shape) for invalid query parameters."""
    errors = field_errors(messages)
    fields = ", ".join(sorted(errors))
    if status == 400:
        return problem(400, "Bad Request", f"Invalid query parameters: {fields}.", errors=errors)
    return problem(
        422, "Unprocessable Content", f"The request has invalid fields: {fields}.", errors=errors
    )


def http_problem(error: HTTPException) -> Response:
    """Turn a werkzeug/Flask abort (including webargs' 400/422) into a problem."""
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    if status == 422 and data.get("messages"):
        messages = data["messages"]
        # webargs nests messages under their location: a bad query is the client's 400
        if isinstance(messages, dict) and "query" in messages:
            return unprocessable(messages["query"], status=400)
        if isinstance(messages, dict) and "json" in messages:
            messages = messages["json"]
        return unprocessable(messages)
    if status == 400 and data.get("messages"):
        detail = "The request body is not valid JSON."
    else:
        detail = error.description
    response = problem(status, error.name, detail)
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        response.headers["Allow"] = ", ".join(error.valid_methods)
    if status == 401:
        response.headers["WWW-Authenticate"] = getattr(
            error, "challenge", 'Bearer realm="newswire"'
        )
    return response


def register(app: Flask) -> None:
    """Install the handlers; create_app calls this once."""

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        return http_problem(error)

    @app.errorhandler(ValidationError)
    def _validation(error: ValidationError):
        return unprocessable(error.messages)

    @app.errorhandler(store.NotFound)
    def _not_found(error):
        return problem(404, "Not Found", "No article has this id or slug.")

    @app.errorhandler(store.Gone)
    def _gone(error):
        return problem(410, "Gone", "This article was deleted.")

    @app.errorhandler(store.PreconditionFailed)
    def _stale(error):
        return problem(
            412,
            "Precondition Failed",
            "If-Match does not match the article's current ETag: fetch it again and retry.",
        )

    @app.errorhandler(store.IdempotencyConflict)
    def _idempotency(error):
        return problem(
            422,
            "Idempotency-Key reused",
            "This Idempotency-Key was already used with a different request body.",
        )

    @app.errorhandler(store.BadCursor)
    def _cursor(error):
        return problem(400, "Bad Request", "The cursor is not one this server issued.")

    @app.errorhandler(store.TooSlow)
    def _too_slow(error):
        return problem(
            503,
            "Service Unavailable",
            "This query took too long and was stopped: narrow it with more filters"
            " (section, tag, author, language, dates).",
        )

    @app.errorhandler(RecursionError)
    def _too_deep(error):
        return problem(400, "Bad Request", "The request body is nested too deeply.")

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        log.exception("unhandled error")
        return problem(500, "Internal Server Error", "Something went wrong on our side.")
