"""article_facets: tags, authors and language prefixes of published articles, for filtered lists

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 04:15:00

Filled here from the articles already stored, the way `Store._file_facets` files them.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

PUBLISHED = "a.status = 'published' AND a.deleted_at IS NULL AND a.published_at IS NOT NULL"


def upgrade() -> None:
    op.create_table(
        "article_facets",
        sa.Column("article_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("value", sa.String(length=120), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("article_id", "kind", "value"),
    )
    op.create_index(
        "ix_article_facets_listing",
        "article_facets",
        ["kind", "value", "published_at", "article_id"],
    )
    op.execute(
        "INSERT INTO article_facets (article_id, kind, value, published_at)"
        " SELECT t.article_id, 'tag', t.slug, a.published_at"
        f" FROM article_tags t JOIN articles a ON a.id = t.article_id WHERE {PUBLISHED}"
    )
    op.execute(
        "INSERT INTO article_facets (article_id, kind, value, published_at)"
        " SELECT DISTINCT w.article_id, 'author', w.slug, a.published_at"
        f" FROM article_authors w JOIN articles a ON a.id = w.article_id WHERE {PUBLISHED}"
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.text(f"SELECT a.id, a.language, a.published_at FROM articles a WHERE {PUBLISHED}")
    ).all()
    facets = [
        {"article_id": id_, "value": "-".join(language.split("-")[: n + 1]), "at": at}
        for id_, language, at in rows
        for n in range(len(language.split("-")))
    ]
    if facets:
        connection.execute(
            sa.text(
                "INSERT INTO article_facets (article_id, kind, value, published_at)"
                " VALUES (:article_id, 'language', :value, :at)"
            ),
            facets,
        )


def downgrade() -> None:
    op.drop_index("ix_article_facets_listing", table_name="article_facets")
    op.drop_table("article_facets")
