"""Bearer tokens for writes: `Authorization: Bearer <token>`, stored hashed."""

from __future__ import annotations

from flask import request
from werkzeug.exceptions import Unauthorized

from api.store import get_store


class TokenRequired(Unauthorized):
    """401 with the RFC 6750 challenge a client needs to know what to send."""

    def __init__(self, invalid: bool):
        super().__init__("A valid bearer token is required for this request.")
        self.challenge = 'Bearer realm="newswire"' + (', error="invalid_token"' if invalid else "")

    def get_headers(self, environ=None, scope=None) -> list[tuple[str, str]]:
        return [*super().get_headers(environ, scope), ("WWW-Authenticate", self.challenge)]


def current_token_id(required: bool = True) -> int | None:
    """The caller's token id; 401 when it is wrong, or when it is missing and required."""
    scheme, _, raw = request.headers.get("Authorization", "").partition(" ")
    raw = raw.strip()
    if not raw and not required and "Authorization" not in request.headers:
        return None
    token_id = get_store().token_id(raw) if scheme.lower() == "bearer" and raw else None
    if token_id is None:
        raise TokenRequired(invalid=bool(raw))
    return token_id
