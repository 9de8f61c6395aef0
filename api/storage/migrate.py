"""The schema: create it, or migrate an existing database to the newest revision (Alembic)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from api.storage.db import Database, utcnow
from api.storage.documents import article_document
from api.storage.models import Article, eager

MIGRATIONS = Path(__file__).resolve().parent.parent.parent / "migrations"


def alembic_config():
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(db: Database) -> None:
    """Create the schema, or migrate it to the newest revision."""
    from alembic import command
    from alembic.runtime.migration import MigrationContext

    config = alembic_config()
    with db.engine.begin() as connection:
        before = MigrationContext.configure(connection).get_current_revision()
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    if before == "0001":  # articles written before they stored their documents
        fill_documents(db)


def revisions(db: Database) -> tuple[str | None, str]:
    """The database's schema revision (None before the first migration) and the newest one.

    Raises sqlalchemy's DBAPIError when the database cannot be reached.
    """
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    newest = ScriptDirectory.from_config(alembic_config()).get_current_head()
    with db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision(), newest


def fill_documents(db: Database) -> None:
    """Render the stored representation of every article that has none yet (revision 0002)."""
    now = utcnow()
    with db.writing() as session:
        missing = select(Article).where(Article.document.is_(None)).options(*eager())
        for article in session.scalars(missing):
            article.document = article_document(article, now)
