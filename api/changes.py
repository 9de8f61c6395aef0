"""/v1/changes, /v1/sections, /v1/tags: what changed, and what exists."""

from __future__ import annotations

import json

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from api.articles import as_ninjs, render_json
from api.caching import cached
from api.store import Document, get_store
from api.urls import base_url
from schemas.changes import ChangesPage, SectionList, TagList
from schemas.fields import rfc3339
from schemas.query import ChangesQuery

blp = Blueprint(
    "changes", __name__, url_prefix="/v1", description="The change stream, sections and tags."
)


def change_json(change: dict, article: Document | None, format: str = "json") -> str:
    """One entry of ChangesPage; in JSON the article is its stored document, joined unparsed."""
    fields = {**change, "at": rfc3339(change["at"])}
    head = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
    if article is None:
        article_json = "null"
    elif format == "json":
        article_json = article.json
    else:
        article_json = render_json(as_ninjs(article, format)).decode()
    return head[:-1] + ',"article":' + article_json + "}"


@blp.route("/changes")
class Changes(MethodView):
    @cached("API_MAX_AGE")
    @blp.arguments(ChangesQuery(), location="query")
    @blp.response(200, ChangesPage)
    def get(self, query):
        """Every visible change after `since`, in one total order"""
        changes, next_since = get_store().changes_since(query["since"], query["limit"], base_url())
        body = (
            '{"changes":['
            + ",".join(change_json(c, article, query["format"]) for c, article in changes)
            + '],"next_since":'
            + str(next_since)
            + "}"
        )
        return Response(body.encode(), mimetype="application/json")


@blp.route("/sections")
class Sections(MethodView):
    @cached("API_MAX_AGE")
    @blp.response(200, SectionList)
    def get(self):
        """Sections with published articles, with their counts"""
        sections = get_store().sections()
        return Response(render_json({"sections": sections}), mimetype="application/json")


@blp.route("/tags")
class Tags(MethodView):
    @cached("API_MAX_AGE")
    @blp.response(200, TagList)
    def get(self):
        """Tags of published articles, with their counts"""
        tags = get_store().tags()
        return Response(render_json({"tags": tags}), mimetype="application/json")
