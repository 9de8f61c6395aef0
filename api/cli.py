"""`flask news …`: migrate, seed, token create."""

from __future__ import annotations

import json
from importlib import resources

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from api.store import get_store
from schemas.article import ArticleIn

news = AppGroup("news", help="Manage Newswire: database, demo content, tokens.")
token = AppGroup("token", help="Write tokens.")
news.add_command(token)


def init_app(app: Flask) -> None:
    app.cli.add_command(news)


@news.command("migrate")
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
