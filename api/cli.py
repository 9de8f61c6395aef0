"""`flask news …`: migrate, seed, token create."""

from __future__ import annotations

import functools
import json
from importlib import resources
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy.exc import DBAPIError

from api.store import MIGRATIONS, Store, get_store
from schemas.article import ArticleIn


class NewsGroup(AppGroup):
    """Commands that refuse, in one line, to run against a database that is not migrated."""

    def command(self, *args, needs_schema: bool = True, **kwargs):
        def decorator(f):
            return super(NewsGroup, self).command(*args, **kwargs)(
                schema_checked(f) if needs_schema else f
            )

        return decorator

    def group(self, *args, **kwargs):
        kwargs.setdefault("cls", NewsGroup)
        return super().group(*args, **kwargs)


news = NewsGroup("news", help="Manage Newswire: database, demo content, tokens.")


@news.group("token")
def token() -> None:
    """Write tokens."""


def init_app(app: Flask) -> None:
    app.cli.add_command(news)


def schema_checked(command):
    """Run `command` only on a database at the newest schema revision; else say so and exit 1."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        problem = schema_problem(get_store())
        if problem:
            raise click.ClickException(problem)
        return command(*args, **kwargs)

    return wrapper


def schema_problem(store: Store) -> str | None:
    """Why the database cannot serve commands yet (naming it, password hidden), or None."""
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    url = store.engine.url
    name = url.render_as_string(hide_password=True)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        if not Path(url.database).exists():
            return f"database {name} does not exist: run `flask news migrate` to create it"
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    newest = ScriptDirectory.from_config(config).get_current_head()
    try:
        with store.engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
    except DBAPIError as exc:
        reason = (str(exc.orig).strip().splitlines() or [type(exc.orig).__name__])[0]
        return f"cannot reach database {name}: {reason}"
    if current is None:
        return f"database {name} is not migrated: run `flask news migrate`"
    if current != newest:
        return (
            f"database {name} is at schema revision {current}, this version needs {newest}:"
            " run `flask news migrate`"
        )
    return None


@news.command("migrate", needs_schema=False)
def migrate() -> None:
    """Create the database schema or upgrade it to the newest version."""
    get_store().upgrade()
    click.echo("database is up to date", err=True)


@token.command("create")
@click.argument("name")
def token_create(name: str) -> None:
    """Create a write token; prints the token and nothing else."""
    click.echo(get_store().create_token(name))


@news.command("seed")
@click.option("--if-empty", is_flag=True, help="Only when the database holds no article.")
def seed(if_empty: bool) -> None:
    """Load the demo articles (api/demo_articles.json); those already there are left alone."""
    store = get_store()
    if if_empty and not store.is_empty():
        click.echo("database already holds articles; not seeding", err=True)
        return
    demo = json.loads(resources.files("api").joinpath("demo_articles.json").read_text("utf-8"))
    base = current_app.config["PUBLIC_BASE_URL"] or "http://127.0.0.1:8000"
    ids: dict[str, str] = {}
    schema = ArticleIn()
    # Internal related items name other demo articles by slug: create everything first,
    # then add those links once every id is known.
    demo = [raw for raw in demo if not store.has_slug(raw["slug"])]
    for raw in demo:
        external = [item for item in raw.get("related", []) if "article" not in item]
        article, _ = store.create_article(schema.load({**raw, "related": external}), base)
        ids[raw["slug"]] = article.data()["id"]
    for raw in demo:
        if any("article" in item and item["article"] in ids for item in raw.get("related", [])):
            related = [
                {"article": ids[item["article"]]} if "article" in item else item
                for item in raw["related"]
                if "article" not in item or item["article"] in ids
            ]
            data = schema.load({**raw, "related": related})
            store.update_article(ids[raw["slug"]], data, base, lambda current: None)
    click.echo(f"seeded {len(demo)} demo articles", err=True)
