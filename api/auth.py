"""Bearer tokens for writes: `Authorization: Bearer <token>`, stored hashed."""

from __future__ import annotations

from flask import current_app, request
from werkzeug.exceptions import Unauthorized


class TokenRequired(Unauthorized):
    """401 with the RFC 6750 challenge a client needs to know what to send."""

    def __init__(self, invalid: bool):
        super().__init__("A valid bearer token is required for this request.")
        self.challenge = 'Bearer realm="newswire"' + (', error="invalid_token"' if invalid else "")


def current_token_id(required: bool = True) -> int | None:
    """The caller's token id; 401 when it is wrong, or when it is missing and required."""
    scheme, _, raw = request.headers.get("Authorization", "").partition(" ")
    raw = raw.strip()
    if not raw and not required and "Authorization" not in request.headers:
        return None
    token_id = (
        current_app.extensions["store"].token_id(raw)
        if scheme.lower() == "bearer" and raw
        else None
    )
    if token_id is None:
        raise TokenRequired(invalid=bool(raw))
    return token_id
