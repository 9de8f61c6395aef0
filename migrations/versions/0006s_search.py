"""article_search: the full-text index (FTS5 on SQLite, a german tsvector with GIN on PostgreSQL)

Revision ID: 0006s
Revises: 0005
Create Date: 2026-11-28 15:00:00

Filled here with every published article, by the same code that files an article at write
time (api/storage/search.py), printing its progress: stemming runs in Python, at about
2,000 articles a second.
"""

import sys

import sqlalchemy as sa
from alembic import op

revision = "0006s"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from api.storage.search import fill

    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        op.execute(
            "CREATE TABLE article_search ("
            " key bigint PRIMARY KEY,"
            " filed bigint NOT NULL,"
            " article_id varchar(36) NOT NULL UNIQUE REFERENCES articles (id) ON DELETE CASCADE,"
            " document tsvector NOT NULL)"
        )
        op.execute("CREATE INDEX ix_article_search_document ON article_search USING gin (document)")
    else:
        # the words as filed (stems), which FTS5 needs to forget an entry: its content table
        op.create_table(
            "article_search",
            sa.Column("key", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
            sa.Column("filed", sa.Integer(), nullable=False),
            sa.Column("article_id", sa.String(length=36), nullable=False, unique=True),
            sa.Column("headline", sa.Text(), nullable=False),
            sa.Column("lead", sa.Text(), nullable=False),
            sa.Column("body", sa.Text(), nullable=False),
            sa.Column("facets", sa.Text(), nullable=False),
            sa.PrimaryKeyConstraint("key"),
        )
        op.execute(
            "CREATE VIRTUAL TABLE article_search_fts USING fts5(headline, lead, body, facets,"
            " content='article_search', content_rowid='key',"
            " tokenize=\"unicode61 remove_diacritics 0 tokenchars '_-'\")"
        )
    op.create_index("ix_article_search_filed", "article_search", ["filed"])
    # the visibility rule of a match, read from an index: SQLite would otherwise read each
    # matching article's row past its body (overflow pages) to reach its status
    op.create_index(
        "ix_articles_visible", "articles", ["id", "status", "deleted_at", "published_at"]
    )
    fill(conn, lambda line: print(line, file=sys.stderr, flush=True))


def downgrade() -> None:
    op.drop_index("ix_articles_visible", "articles")
    if op.get_bind().dialect.name != "postgresql":
        op.execute("DROP TABLE article_search_fts")
    op.drop_table("article_search")
