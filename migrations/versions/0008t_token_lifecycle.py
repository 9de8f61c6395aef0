"""tokens: last_used_at, expires_at, revoked_at; changes: an index of recent deletions

Revision ID: 0008t
Revises: 0007w
Create Date: 2026-11-28 15:30:00

Tokens created before this revision never expire and show no last use until their next one.
ix_changes_kind_at lets the Atom feeds list the latest deletions (RFC 6721 tombstones)
without scanning the change log.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008t"
down_revision = "0007w"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for name in ("last_used_at", "expires_at", "revoked_at"):
        op.add_column("tokens", sa.Column(name, sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_changes_kind_at", "changes", ["kind", "at"])


def downgrade() -> None:
    op.drop_index("ix_changes_kind_at", table_name="changes")
    with op.batch_alter_table("tokens") as batch:
        for name in ("revoked_at", "expires_at", "last_used_at"):
            batch.drop_column(name)
