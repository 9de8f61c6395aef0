"""articles: the indexes a list walks carry updated_at (and deleted_at), ix_articles_updated the id

Revision ID: 0009s
Revises: 0008t
Create Date: 2026-11-28 18:30:00

`updated_after` is read two ways (api/storage/filters.py): the ids of the few articles updated
since, from ix_articles_updated alone (now with the id); or, when many were, checked on each
row of the walk down the page's index, which now holds updated_at, so that the walk does not
read the table (ix_articles_listing, ix_articles_section, and ix_articles_visible, which a
search reads each match's visibility from). Rebuilding the four indexes took 5 s at 100,000
articles on SQLite.
"""

from alembic import op

revision = "0009s"
down_revision = "0008t"
branch_labels = None
depends_on = None

BEFORE = {
    "ix_articles_listing": ["status", "published_at", "id"],
    "ix_articles_section": ["section", "status", "published_at", "id"],
    "ix_articles_updated": ["updated_at"],
    "ix_articles_visible": ["id", "status", "deleted_at", "published_at"],
}
AFTER = {
    "ix_articles_listing": ["status", "published_at", "id", "deleted_at", "updated_at"],
    "ix_articles_section": ["section", "status", "published_at", "id", "deleted_at", "updated_at"],
    "ix_articles_updated": ["updated_at", "id"],
    "ix_articles_visible": ["id", "status", "deleted_at", "published_at", "updated_at"],
}


def rebuild(indexes: dict[str, list[str]]) -> None:
    for name, columns in indexes.items():
        op.drop_index(name, table_name="articles")
        op.create_index(name, "articles", columns)
    conn = op.get_bind()
    # SQLite forgets a dropped index's statistics: a database that had them (ANALYZE) would
    # otherwise be planned with statistics for some indexes and guesses for these
    if (
        conn.dialect.name == "sqlite"
        and conn.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").first()
    ):
        op.execute("ANALYZE articles")


def upgrade() -> None:
    rebuild(AFTER)


def downgrade() -> None:
    rebuild(BEFORE)
