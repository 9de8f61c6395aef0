"""idempotent_responses.document: the article as the first response to a keyed POST carried it

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 04:50:00

Rows kept before this revision have none; a retry of those answers with the current article.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("idempotent_responses", sa.Column("document", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("idempotent_responses") as batch:
        batch.drop_column("document")
