"""The OpenAPI document and /docs: what flask-smorest derives from the schemas, and the little
it cannot.

Field rules come from the fields themselves (`json_schema()` in schemas/fields.py), schema-wide
rules from a schema's `Meta.json_schema`; this module adds them through one apispec plugin, and
names the header parameters, response headers, error answers and links the routes use.
"""

from __future__ import annotations

import http
import os
from copy import deepcopy

import flask_swagger_ui
from apispec import BasePlugin
from apispec.ext.marshmallow.common import resolve_schema_cls
from flask import Flask, send_from_directory
from flask_smorest import Api
from werkzeug.routing import Map, Rule

from api.errors import problem_for
from schemas.article import SEARCH_HIT, RelatedArticle, RelatedLink
from schemas.fields import Rfc3339DateTime
from schemas.problem import Problem
from schemas.query import FeedQuery

PROBLEM_MIMETYPE = "application/problem+json"
EXTRA_PARAMETERS = "x-newswire-parameters"  # doc() would replace the query parameters
ETAG_RULE = "The article's current ETag, from any read or write of it."
IDEMPOTENCY_KEY_PATTERN = r"^[ \t]*[!-~](?:[ -~]{0,198}[!-~])?[ \t]*$"


def field_rules(converter, field, ret, **kwargs) -> dict:
    """apispec attribute function: a field's own `json_schema()`, its description kept too."""
    rules = getattr(field, "json_schema", None)
    if rules is None:
        return {}
    extra = dict(rules())
    own = field.metadata.get("description")
    if own and "description" in extra and own != extra["description"]:
        extra["description"] = f"{own} {extra['description']}"
    return extra


class SchemaRules(BasePlugin):
    """Adds a schema's `Meta.json_schema` (rules between fields) to its component, and an
    operation's header parameters to those flask-smorest derived from its schemas."""

    def operation_helper(self, path=None, operations=None, **kwargs):
        for operation in (operations or {}).values():
            extra = operation.pop(EXTRA_PARAMETERS, None)
            if extra:
                operation["parameters"] = [*operation.get("parameters", []), *extra]

    def schema_helper(self, name, definition, **kwargs):
        schema = kwargs.get("schema")
        if schema is None:
            return None
        meta = getattr(resolve_schema_cls(schema), "Meta", None)
        return dict(getattr(meta, "json_schema", None) or {}) or None


class NewswireApi(Api):
    """flask-smorest's Api, documenting errors as they are sent: problem+json (RFC 9457)."""

    ERROR_SCHEMA = Problem

    def _register_responses(self):
        self.DEFAULT_RESPONSE_CONTENT_TYPE = PROBLEM_MIMETYPE
        try:
            super()._register_responses()  # the error responses of every status code
        finally:
            self.DEFAULT_RESPONSE_CONTENT_TYPE = Api.DEFAULT_RESPONSE_CONTENT_TYPE

    def handle_http_exception(self, error):
        """The HTTP error handler flask-smorest registers: ours, so order does not matter."""
        return problem_for(error)


# Swagger UI 5 (it reads OpenAPI 3.1), as shipped inside flask-swagger-ui; its blueprint is unused
SWAGGER_UI_FILES = os.path.join(os.path.dirname(flask_swagger_ui.__file__), "dist")


def init_app(app: Flask) -> NewswireApi:
    api = NewswireApi(app, spec_kwargs=spec_kwargs(app.config))
    register(api)

    @app.get("/docs/assets/<path:filename>")
    def swagger_assets(filename: str):
        """Swagger UI's files, served by us so that /docs works offline."""
        return send_from_directory(SWAGGER_UI_FILES, filename)

    return api


def problem(status: int) -> str:
    """The name of the components response for an error status (flask-smorest registers one)."""
    return http.HTTPStatus(status).name


# Response headers, by the name responses use.
HEADERS = {
    "ETag": {
        "description": "The representation's strong validator; send it as If-None-Match to"
        " revalidate, or as If-Match to edit.",
        "schema": {"type": "string", "pattern": r'^(W/)?"[!#-~]*"$'},
        "required": True,
    },
    "Last-Modified": {
        "description": "When this representation last changed (HTTP date).",
        "schema": {"type": "string"},
    },
    "Location": {
        "description": "The URL of what was created (the article, the webhook).",
        "schema": {"type": "string"},
        "required": True,
    },
    "Link": {
        "description": 'The next page: `<URL>; rel="next"`, while there is one.',
        "schema": {"type": "string"},
    },
    "Idempotent-Replayed": {
        "description": "`true` when this is the stored answer to an earlier request with the"
        " same Idempotency-Key.",
        "schema": {"type": "string", "enum": ["true"]},
    },
    "Cache-Control": {
        "description": "How long shared caches may keep the answer.",
        "schema": {"type": "string"},
    },
    "WWW-Authenticate": {
        "description": 'The bearer challenge, `Bearer realm="newswire"`.',
        "schema": {"type": "string"},
        "required": True,
    },
}

PARAMETERS = {
    "IfMatch": {
        "name": "If-Match",
        "in": "header",
        "required": True,
        "description": ETAG_RULE + " Missing: 428; no longer current: 412, so no edit is lost.",
        "schema": {"type": "string"},
        "example": '"5d41402abc4b2a76b9719d911017c592"',
    },
    "IfNoneMatch": {
        "name": "If-None-Match",
        "in": "header",
        "description": "An ETag you hold: 304 Not Modified, with no body, while it is current.",
        "schema": {"type": "string"},
    },
    "IdempotencyKey": {
        "name": "Idempotency-Key",
        "in": "header",
        "description": "Makes a retried POST safe: the same key returns the first answer (with"
        " Idempotent-Replayed: true) instead of a second article; the same key with another"
        " body is a 422. 1 to 200 printable ASCII characters.",
        "schema": {"type": "string", "pattern": IDEMPOTENCY_KEY_PATTERN},
        "example": "2026-11-24-haushalt",
    },
}


def headers(*names: str) -> dict:
    return {name: name for name in names}


NOT_MODIFIED = {
    "description": "Not Modified: the ETag sent in If-None-Match is current.",
    "headers": headers("ETag"),
}


def register(api: Api) -> None:
    """Everything the document holds besides the routes' own decorators."""
    spec = api.spec
    api.ma_plugin.converter.add_attribute_function(field_rules)
    api.register_field(Rfc3339DateTime, "string", "date-time")
    spec.components.security_scheme(
        "token",
        {
            "type": "http",
            "scheme": "bearer",
            "description": "A write token from `flask news token create NAME`.",
        },
    )
    for name, header in HEADERS.items():
        spec.components.header(name, deepcopy(header))
    for name, parameter in PARAMETERS.items():
        parameter = deepcopy(parameter)
        spec.components.parameter(name, parameter.pop("in"), parameter)
    spec.components.schema("RelatedLink", schema=RelatedLink)
    spec.components.schema("RelatedArticle", schema=RelatedArticle)
    spec.components.schema("SearchHit", deepcopy(SEARCH_HIT))
    document_plain_routes(spec)


def spec_kwargs(app_config: dict) -> dict:
    kwargs: dict = {
        "info": {"description": "A REST API for a structured news feed."},
        "extra_plugins": [SchemaRules()],
        "tags": [
            {"name": "articles", "description": "Write and read articles."},
            {"name": "changes", "description": "The change stream, sections and tags."},
            {"name": "feeds", "description": "RSS 2.0, Atom 1.0 and JSON Feed 1.1."},
            {"name": "pages", "description": "HTML pages for people."},
            {"name": "health", "description": "Whether the app and its database answer."},
        ],
    }
    if app_config.get("PUBLIC_BASE_URL"):
        kwargs["servers"] = [{"url": app_config["PUBLIC_BASE_URL"]}]
    return kwargs


def plain_get(
    operation_id: str, summary: str, tag: str, media_type: str, schema: dict, **extra
) -> dict:
    responses = {
        "200": {
            "description": "OK",
            "headers": headers("ETag", "Cache-Control"),
            "content": {media_type: {"schema": schema}},
        },
        "304": NOT_MODIFIED,
    }
    responses.update(extra.pop("responses", {}))
    return {
        "get": {
            "operationId": operation_id,
            "summary": summary,
            "tags": [tag],
            "parameters": ["IfNoneMatch", *extra.pop("parameters", [])],
            "responses": responses,
            **extra,
        }
    }


def document_path(spec, path: str, operations: dict) -> None:
    rule = Rule(path, defaults={})
    Map([rule])  # binds the rule, so that its arguments are known
    spec.path(rule=rule, operations=operations)


def document_plain_routes(spec) -> None:
    """Feeds, pages and /health: plain Flask routes, described here with their media types."""
    text = {"type": "string"}
    feed_errors = {"400": problem(400)}
    feed_query = [{"in": "query", "schema": FeedQuery}]
    for path, operation_id, media_type, name in [
        ("/feeds/rss.xml", "getRssFeed", "application/rss+xml", "RSS 2.0"),
        ("/feeds/atom.xml", "getAtomFeed", "application/atom+xml", "Atom 1.0"),
        ("/feeds/feed.json", "getJsonFeed", "application/feed+json", "JSON Feed 1.1"),
    ]:
        schema = {"type": "object"} if media_type.endswith("json") else text
        document_path(
            spec,
            path,
            plain_get(
                operation_id,
                f"The newest published articles as {name}",
                "feeds",
                media_type,
                schema,
                parameters=feed_query,
                responses=feed_errors,
            ),
        )
    document_path(
        spec,
        "/",
        plain_get("getHomePage", "The newest articles, as HTML", "pages", "text/html", text),
    )
    not_found = {
        "description": "No visible article has this slug (410: it was deleted).",
        "content": {"text/html": {"schema": text}},
    }
    document_path(
        spec,
        "/articles/<slug>",
        plain_get(
            "getArticlePage",
            "One article, as HTML (an article's default url)",
            "pages",
            "text/html",
            text,
            responses={"404": not_found, "410": not_found},
        ),
    )
    document_path(
        spec,
        "/health",
        plain_get(
            "getHealth",
            "200 when the app and its database answer",
            "health",
            "application/json",
            {
                "type": "object",
                "properties": {"status": {"type": "string", "enum": ["ok"]}},
                "required": ["status"],
            },
            responses={"503": problem(503)},
        ),
    )


def operation(
    operation_id: str,
    *statuses: int,
    parameters: tuple[str, ...] = (),
    token: str | None = None,
    links: dict | None = None,
) -> dict:
    """flask-smorest `doc()` arguments: id, header parameters, error answers, security, links.

    `token` is "required" for writes and "optional" for reads that show more with one.
    """
    doc: dict = {
        "operationId": operation_id,
        "responses": {status: problem(status) for status in statuses},
    }
    if parameters:
        doc[EXTRA_PARAMETERS] = list(parameters)
    if token == "required":
        doc["security"] = [{"token": []}]
    elif token == "optional":
        doc["security"] = [{}, {"token": []}]
    if links:
        for status, status_links in links.items():
            doc["responses"][status] = {"links": status_links}
    return doc


def article_links(key: str) -> dict:
    """Where an answer about one article leads: read it, or edit it with the ETag just sent."""
    etag = "$response.header.ETag"
    return {
        "GetArticle": {"operationId": "getArticle", "parameters": {"key": key}},
        "ReplaceArticle": {
            "operationId": "replaceArticle",
            "parameters": {"key": key, "header.If-Match": etag},
        },
        "PatchArticle": {
            "operationId": "patchArticle",
            "parameters": {"key": key, "header.If-Match": etag},
        },
        "DeleteArticle": {
            "operationId": "deleteArticle",
            "parameters": {"key": key, "header.If-Match": etag},
        },
    }


def webhook_links(hook_id: str) -> dict:
    """Where a new webhook leads: read it, enable or disable it, remove it."""
    return {
        name: {"operationId": operation_id, "parameters": {"hook_id": hook_id}}
        for name, operation_id in [
            ("GetWebhook", "getWebhook"),
            ("PatchWebhook", "patchWebhook"),
            ("DeleteWebhook", "deleteWebhook"),
        ]
    }
