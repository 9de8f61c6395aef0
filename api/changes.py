"""/v1/changes, /v1/sections, /v1/tags: what changed, and what exists."""

from __future__ import annotations

import functools
import json

from flask import Response, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import ValidationError

from api.articles import as_ninjs, render_json
from api.caching import HEAD_KEY, cached, request_head
from api.store import Document, get_store, utcnow
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


def long_poll(view):
    """`?wait=S`: with no change after `since`, hold the request until one commits, then
    serve it like any other (cached by the new head); after S seconds, an empty page that is
    never cached. A request with changes waiting, or an invalid query, goes straight on."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if "wait" not in request.args:
            return view(*args, **kwargs)
        try:
            query = ChangesQuery().load(request.args)
        except ValidationError:
            return view(*args, **kwargs)  # which answers the 400
        since, wait = query["since"], query["wait"]
        if wait and request_head(utcnow()).seq <= since:
            if not get_store().wait_past(since, wait):
                empty = '{"changes":[],"next_since":' + str(since) + "}"
                return Response(empty, mimetype="application/json")
            request.environ.pop(HEAD_KEY, None)  # @cached reads the new head
        return view(*args, **kwargs)

    return wrapper


@blp.route("/changes")
class Changes(MethodView):
    @long_poll
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
