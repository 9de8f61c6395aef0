"""articles.document: each article's public representation, rendered when it is written

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 04:00:00

`Store.upgrade()` renders the documents of existing articles right after this revision.
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("articles", sa.Column("document", sa.Text(), nullable=True))
    # Deleting an article now removes the links to it; do the same for earlier deletions.
    op.execute(
        "DELETE FROM article_related WHERE target_id IN"
        " (SELECT id FROM articles WHERE deleted_at IS NOT NULL)"
    )


def downgrade() -> None:
    with op.batch_alter_table("articles") as batch:
        batch.drop_column("document")
