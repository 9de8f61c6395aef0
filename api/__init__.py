"""Newswire: a REST API for a structured news feed."""

from __future__ import annotations

import os

import swagger_ui_bundle
from flask import Flask, send_from_directory
from flask_smorest import Api

from api import config, errors
from api.caching import RenderCache, ServeCached, every_answer
from api.store import Store
from schemas.fields import Rfc3339DateTime
from schemas.problem import Problem


class NewswireApi(Api):
    """flask-smorest's Api, documenting errors as they are sent: problem+json (RFC 9457)."""

    ERROR_SCHEMA = Problem

    def _register_responses(self):
        self.DEFAULT_RESPONSE_CONTENT_TYPE = "application/problem+json"
        try:
            super()._register_responses()  # the error responses of every status code
        finally:
            self.DEFAULT_RESPONSE_CONTENT_TYPE = Api.DEFAULT_RESPONSE_CONTENT_TYPE


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: settings, storage, blueprints, error handlers, CLI."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.update(config.DEFAULTS)
    app.config.update(config.from_environment())
    if test_config:
        app.config.update(test_config)
    if not app.config["DATABASE_URL"]:
        os.makedirs(app.instance_path, exist_ok=True)
        path = os.path.join(app.instance_path, "newswire.sqlite3")
        app.config["DATABASE_URL"] = f"sqlite:///{path}"

    app.extensions["store"] = Store(
        app.config["DATABASE_URL"],
        secret=app.config["CURSOR_SECRET"],
        default_language=app.config["DEFAULT_LANGUAGE"],
        query_timeout=app.config["QUERY_TIMEOUT"],
    )
    app.extensions["render_cache"] = RenderCache()

    api = NewswireApi(
        app, spec_kwargs={"info": {"description": "A REST API for a structured news feed."}}
    )
    api.register_field(Rfc3339DateTime, "string", "date-time")
    api.spec.components.security_scheme(
        "token", {"type": "http", "scheme": "bearer", "description": "flask news token create"}
    )
    from api import articles, changes, feeds, health, pages

    for module in (articles, changes):
        api.register_blueprint(module.blp)
    for module in (feeds, health, pages):
        app.register_blueprint(module.bp)
    errors.register(app)  # after Api, whose own HTTP error handler this replaces

    @app.get("/docs/assets/<path:filename>")
    def swagger_assets(filename: str):
        """Swagger UI's files, served by us so that /docs works offline."""
        return send_from_directory(swagger_ui_bundle.swagger_ui_path, filename)

    from api import cli

    cli.register(app)
    app.after_request(every_answer)
    app.wsgi_app = ServeCached(app)
    return app
