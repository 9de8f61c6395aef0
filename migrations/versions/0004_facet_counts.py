"""facet_counts: visible articles per section, tag, author and language, kept at write time

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 04:40:00

Also files sections as facets. Counted here from the articles already stored, with the same
statements as `Store.recount_facets`.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "facet_counts",
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("value", sa.String(length=120), nullable=False),
        sa.Column("label", sa.String(length=400), nullable=True),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "value"),
    )
    op.execute(
        "INSERT INTO article_facets (article_id, kind, value, published_at)"
        " SELECT a.id, 'section', a.section, a.published_at FROM articles a"
        " WHERE a.status = 'published' AND a.deleted_at IS NULL"
        " AND a.published_at IS NOT NULL AND a.section IS NOT NULL"
    )
    op.execute(
        "INSERT INTO facet_counts (kind, value, label, count)"
        " SELECT f.kind, f.value, NULL, count(*) FROM article_facets f"
        " JOIN articles a ON a.id = f.article_id WHERE a.in_stream GROUP BY f.kind, f.value"
    )
    op.execute(
        "UPDATE facet_counts SET label = (SELECT min(t.label) FROM article_tags t"
        " WHERE t.slug = facet_counts.value) WHERE kind = 'tag'"
    )
    op.execute(
        "UPDATE facet_counts SET label = (SELECT min(w.name) FROM article_authors w"
        " WHERE w.slug = facet_counts.value) WHERE kind = 'author'"
    )


def downgrade() -> None:
    op.execute("DELETE FROM article_facets WHERE kind = 'section'")
    op.drop_table("facet_counts")
