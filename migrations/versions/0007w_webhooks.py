"""webhooks: subscriptions, their secret, and their place in the change log

Revision ID: 0007w
Revises: 0006s
Create Date: 2026-11-28 15:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007w"
down_revision = "0006s"
branch_labels = None
depends_on = None


def upgrade() -> None:
    when = sa.DateTime(timezone=True)
    op.create_table(
        "webhooks",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("secret", sa.String(100), nullable=False),
        sa.Column("created_at", when, nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("disabled_reason", sa.Text(), nullable=True),
        sa.Column("last_success_at", when, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_at", when, nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("failing_since", when, nullable=True),
        sa.Column("next_attempt_at", when, nullable=True),
        sa.Column("lease_owner", sa.String(200), nullable=True),
        sa.Column("lease_until", when, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("webhooks")
