"""Newswire: a REST API for a structured news feed."""

from __future__ import annotations

import os

import click
from flask import Flask

from api import (
    caching,
    cli,
    config,
    cors,
    errors,
    jsonbody,
    longpoll,
    openapi,
    querystring,
    secret,
    store,
)
from api.storage.errors import UnusableDatabaseUrl


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: settings, storage, blueprints, error handlers, CLI."""
    app = Flask(__name__, instance_relative_config=True)
    app.json = jsonbody.JSONProvider(app)
    app.config.update(config.DEFAULTS)
    app.config.update(config.from_environment())
    if test_config:
        app.config.update(test_config)
    if not app.config["DATABASE_URL"]:
        os.makedirs(app.instance_path, exist_ok=True)
        path = os.path.join(app.instance_path, "newswire.sqlite3")
        app.config["DATABASE_URL"] = f"sqlite:///{path}"
    if not app.config["CURSOR_SECRET"]:
        app.config["CURSOR_SECRET"] = secret.cursor_secret(app.instance_path)

    try:
        news_store = store.init_app(app)
    except UnusableDatabaseUrl as exc:
        # `flask news …` shows a ClickException in one line; a server shows it as its reason
        raise click.ClickException(str(exc)) from None
    errors.init_app(app)
    querystring.init_app(app)
    api = openapi.init_app(app)
    from api import archives, articles, changes, feeds, health, pages, sitemaps, webhooks

    for module in (articles, changes, webhooks):
        api.register_blueprint(module.blp)
    for module in (feeds, archives, health, pages, sitemaps):
        app.register_blueprint(module.bp)
    cli.init_app(app)
    cors.init_app(app)
    caching.init_app(app, news_store)
    longpoll.init_app(app, news_store)  # in front of the render cache
    return app
