"""Webhook subscriptions and their delivery state: the change log is their queue.

Each hook keeps its `position`, the seq of the last change its receiver acknowledged; delivery
sends what follows, in seq order, and moves the position only after a 2xx, so a crash of the
delivery process loses nothing (it repeats at most the change in flight). Several delivery
processes may run: a process delivers to a hook only while it holds the hook's lease
(`lease_owner` until `lease_until`), taken and renewed by one conditional UPDATE, and every
update of the position checks the lease, so no two deliver to one hook at once.

These updates skip Database.writing()'s global write lock: they touch no article and no seq.
"""

from __future__ import annotations

import base64
import secrets
import uuid
from datetime import datetime, timedelta

from sqlalchemy import BigInteger, Boolean, Integer, String, Text, delete, or_, select, update
from sqlalchemy.orm import Mapped, mapped_column

from api.storage.changelog import read_head
from api.storage.db import Database, utcnow
from api.storage.models import Article, Base, UTCDateTime


class Webhook(Base):
    __tablename__ = "webhooks"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    secret: Mapped[str] = mapped_column(String(100))  # whsec_…, needed in clear to sign
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    position: Mapped[int] = mapped_column(BigInteger)  # seq of the last change delivered
    enabled: Mapped[bool] = mapped_column(Boolean)
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failures: Mapped[int] = mapped_column(Integer)  # in a row
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


PUBLIC_FIELDS = (
    "id",
    "url",
    "description",
    "created_at",
    "position",
    "enabled",
    "disabled_reason",
    "last_success_at",
    "last_error",
    "last_error_at",
    "failures",
    "next_attempt_at",
)


def public(hook: Webhook) -> dict:
    """A hook as GET shows it: never its secret."""
    return {name: getattr(hook, name) for name in PUBLIC_FIELDS}


def new_secret() -> str:
    """A signing secret in the Standard Webhooks form: whsec_ and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def create(db: Database, url: str, description: str | None, since: int | None) -> dict:
    """Register a hook from `since` (default: the head, so it gets what changes from now on).

    Returns it with its secret, which no later read shows.
    """
    position = read_head(db).seq if since is None else since
    hook = Webhook(
        id=str(uuid.uuid4()),
        url=url,
        description=description,
        secret=new_secret(),
        created_at=utcnow(),
        position=position,
        enabled=True,
        failures=0,
    )
    with db.engine.begin() as conn:
        conn.execute(
            Webhook.__table__.insert().values(
                {c.key: getattr(hook, c.key) for c in Webhook.__table__.columns}
            )
        )
    return {**public(hook), "secret": hook.secret}


def could_be_id(hook_id: str) -> bool:
    """Whether a hook may have this id: PostgreSQL would refuse a NUL in it (a 500)."""
    return len(hook_id) <= 36 and "\x00" not in hook_id


def find(db: Database, hook_id: str) -> Webhook | None:
    if not could_be_id(hook_id):
        return None
    with db.reading() as session:
        return session.get(Webhook, hook_id)


def all_hooks(db: Database) -> list[Webhook]:
    with db.reading() as session:
        return list(session.scalars(select(Webhook).order_by(Webhook.created_at, Webhook.id)))


def enabled_ids(db: Database) -> list[str]:
    with db.engine.connect() as conn:
        return list(conn.scalars(select(Webhook.id).where(Webhook.enabled)))


def remove(db: Database, hook_id: str) -> bool:
    if not could_be_id(hook_id):
        return False
    with db.engine.begin() as conn:
        return conn.execute(delete(Webhook).where(Webhook.id == hook_id)).rowcount == 1


def enable(db: Database, hook_id: str) -> bool:
    """Enable a hook again, with a clean slate of failures; it resumes at its position."""
    return set_state(
        db,
        hook_id,
        enabled=True,
        disabled_reason=None,
        failures=0,
        failing_since=None,
        next_attempt_at=None,
    )


def disable(db: Database, hook_id: str, reason: str) -> bool:
    return set_state(db, hook_id, enabled=False, disabled_reason=reason)


def set_state(db: Database, hook_id: str, **values) -> bool:
    """Set `values` on one hook; whether it exists."""
    if not could_be_id(hook_id):
        return False
    with db.engine.begin() as conn:
        result = conn.execute(update(Webhook).where(Webhook.id == hook_id).values(**values))
        return result.rowcount == 1


def claim(db: Database, hook_id: str, owner: str, lease: float) -> Webhook | None:
    """Take or renew the hook's lease for `lease` seconds; the hook, or None when it is
    gone, disabled, or leased by another process."""
    now = utcnow()
    with db.engine.begin() as conn:
        taken = conn.execute(
            update(Webhook)
            .where(
                Webhook.id == hook_id,
                Webhook.enabled,
                or_(
                    Webhook.lease_owner.is_(None),
                    Webhook.lease_owner == owner,
                    Webhook.lease_until < now,
                ),
            )
            .values(lease_owner=owner, lease_until=now + timedelta(seconds=lease))
        )
        if taken.rowcount != 1:
            return None
    return find(db, hook_id)


def release(db: Database, hook_id: str, owner: str) -> None:
    with db.engine.begin() as conn:
        conn.execute(
            update(Webhook)
            .where(Webhook.id == hook_id, Webhook.lease_owner == owner)
            .values(lease_owner=None, lease_until=None)
        )


def delivered(db: Database, hook_id: str, owner: str, seq: int) -> bool:
    """The receiver acknowledged `seq`: move the position (only while holding the lease)."""
    with db.engine.begin() as conn:
        result = conn.execute(
            update(Webhook)
            .where(Webhook.id == hook_id, Webhook.lease_owner == owner, Webhook.position < seq)
            .values(
                position=seq,
                last_success_at=utcnow(),
                failures=0,
                failing_since=None,
                next_attempt_at=None,
            )
        )
        return result.rowcount == 1


def failed(
    db: Database, hook_id: str, owner: str, error: str, retry_in: float, give_up_after: float
) -> None:
    """A delivery failed: try again in `retry_in` seconds, or disable the hook when it has
    been failing for longer than `give_up_after` seconds."""
    now = utcnow()
    with db.engine.begin() as conn:
        hook = conn.execute(
            select(Webhook.failures, Webhook.failing_since).where(
                Webhook.id == hook_id, Webhook.lease_owner == owner
            )
        ).first()
        if hook is None:
            return
        failing_since = hook.failing_since or now
        values = {
            "last_error": error[:500],
            "last_error_at": now,
            "failures": hook.failures + 1,
            "failing_since": failing_since,
            "next_attempt_at": now + timedelta(seconds=retry_in),
        }
        if (now - failing_since).total_seconds() >= give_up_after:
            values.update(
                enabled=False,
                next_attempt_at=None,
                disabled_reason=f"disabled after failing since {failing_since.isoformat()}"
                f" ({hook.failures + 1} attempts in a row); last error: {error[:300]}",
            )
        conn.execute(update(Webhook).where(Webhook.id == hook_id).values(**values))


def sections_of(db: Database, article_ids: list[str]) -> dict[str, str | None]:
    """The section each article has or had (deleted ones too): what WebSub pings name."""
    if not article_ids:
        return {}
    with db.engine.connect() as conn:
        rows = conn.execute(select(Article.id, Article.section).where(Article.id.in_(article_ids)))
        return {article_id: section for article_id, section in rows}
