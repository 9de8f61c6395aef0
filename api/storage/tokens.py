"""Write tokens: only their SHA-256 hashes are kept; they can expire and be revoked."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update

from api.storage.db import Database, utcnow
from api.storage.models import Token

# How stale `last_used_at` may get: a token used all day costs one write a minute, not one
# a request.
LAST_USED_PRECISION = timedelta(minutes=1)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def create_token(db: Database, name: str, expires_at: datetime | None = None) -> str:
    """A new write token; the caller sees it once, the database keeps its hash."""
    raw = "nw_" + secrets.token_urlsafe(32)
    with db.writing() as session:
        session.add(
            Token(name=name, token_hash=hash_token(raw), created_at=utcnow(), expires_at=expires_at)
        )
    return raw


def token_id(db: Database, raw: str) -> int | None:
    """The id of a live token (not revoked, not expired); notes when it was last used."""
    now = utcnow()
    with db.engine.connect() as conn:
        row = conn.execute(
            select(Token.id, Token.expires_at, Token.revoked_at, Token.last_used_at).where(
                Token.token_hash == hash_token(raw)
            )
        ).first()
    if row is None or row.revoked_at is not None:
        return None
    if row.expires_at is not None and row.expires_at <= now:
        return None
    if row.last_used_at is None or row.last_used_at < now - LAST_USED_PRECISION:
        # not db.writing(): this write touches no article and needs no place in the log
        with db.engine.begin() as conn:
            conn.execute(
                update(Token)
                .where(
                    Token.id == row.id,
                    or_(
                        Token.last_used_at.is_(None),
                        Token.last_used_at < now - LAST_USED_PRECISION,
                    ),
                )
                .values(last_used_at=now)
            )
    return row.id


def list_tokens(db: Database) -> list[dict]:
    """Every token's name and dates, oldest first; never its secret or hash."""
    columns = (Token.name, Token.created_at, Token.last_used_at, Token.expires_at, Token.revoked_at)
    with db.engine.connect() as conn:
        rows = conn.execute(select(*columns).order_by(Token.created_at, Token.id)).all()
    return [row._asdict() for row in rows]


def revoke_tokens(db: Database, name: str) -> int:
    """Revoke every live token of this name, at once; how many there were."""
    with db.writing() as session:
        result = session.execute(
            update(Token)
            .where(Token.name == name, Token.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
        return result.rowcount
