"""Write tokens: only their SHA-256 hashes are kept."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select

from api.storage.db import Database, utcnow
from api.storage.models import Token


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def create_token(db: Database, name: str) -> str:
    """A new write token; the caller sees it once, the database keeps its hash."""
    raw = "nw_" + secrets.token_urlsafe(32)
    with db.writing() as session:
        session.add(Token(name=name, token_hash=hash_token(raw), created_at=utcnow()))
    return raw


def token_id(db: Database, raw: str) -> int | None:
    with db.engine.connect() as conn:
        return conn.scalar(select(Token.id).where(Token.token_hash == hash_token(raw)))
