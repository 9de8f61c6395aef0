"""The schema: create it, or migrate an existing database to the newest revision (Alembic)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from api.storage.db import Database, utcnow
from api.storage.documents import article_document
from api.storage.models import Article, eager

MIGRATIONS = Path(__file__).resolve().parent.parent.parent / "migrations"


def upgrade(db: Database) -> None:
    """Create the schema, or migrate it to the newest revision."""
    from alembic import command
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with db.engine.begin() as connection:
        before = MigrationContext.configure(connection).get_current_revision()
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    if before == "0001":  # articles written before they stored their documents
        fill_documents(db)


def fill_documents(db: Database) -> None:
    """Render the stored representation of every article that has none yet (revision 0002)."""
    now = utcnow()
    with db.writing() as session:
        missing = select(Article).where(Article.document.is_(None)).options(*eager())
        for article in session.scalars(missing):
            article.document = article_document(article, now)
