"""/v1/changes, /v1/sections, /v1/tags: what changed, and what exists."""

from __future__ import annotations

from flask import Response, current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from api.articles import render_json
from api.caching import cached
from api.urls import base_url
from schemas.changes import ChangeOut, ChangesPage, SectionList, TagList
from schemas.query import ChangesQuery

blp = Blueprint(
    "changes", __name__, url_prefix="/v1", description="The change stream, sections and tags."
)

CHANGE_OUT = ChangeOut(exclude=("article",))


@blp.route("/changes")
class Changes(MethodView):
    @cached("API_MAX_AGE")
    @blp.arguments(ChangesQuery(), location="query")
    @blp.response(200, ChangesPage)
    def get(self, query):
        """Every visible change after `since`, in one total order"""
        changes, next_since = current_app.extensions["store"].changes_since(
            query["since"], query["limit"], base_url()
        )
        # each article is its stored document, joined in as it is rather than parsed and dumped
        parts = [
            render_json(CHANGE_OUT.dump(change))[:-1]
            + b',"article":'
            + (article.body if article else b"null")
            + b"}"
            for change, article in changes
        ]
        body = b'{"changes":[' + b",".join(parts) + b'],"next_since":%d}' % next_since
        return Response(body, mimetype="application/json")


@blp.route("/sections")
class Sections(MethodView):
    @cached("API_MAX_AGE")
    @blp.response(200, SectionList)
    def get(self):
        """Sections with published articles, with their counts"""
        sections = current_app.extensions["store"].sections()
        return Response(render_json({"sections": sections}), mimetype="application/json")


@blp.route("/tags")
class Tags(MethodView):
    @cached("API_MAX_AGE")
    @blp.response(200, TagList)
    def get(self):
        """Tags of published articles, with their counts"""
        tags = current_app.extensions["store"].tags()
        return Response(render_json({"tags": tags}), mimetype="application/json")
