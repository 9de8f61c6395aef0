"""/v1/articles: parse (schemas), act (store), respond."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from flask import Response, abort, current_app, g, request, url_for
from flask.views import MethodView
from flask_smorest import Blueprint

from api import jsonbody, ninjs
from api.auth import current_token_id
from api.caching import cached, entry_of, send
from api.conditional import etag_of, if_match
from api.openapi import NOT_MODIFIED, article_links, headers, operation
from api.querystring import known, names_of
from api.store import Document, PreconditionFailed, get_store
from api.urls import base_url, with_query
from schemas.article import (
    EXAMPLE_IN,
    ArticleIn,
    ArticleList,
    ArticleOrNinjs,
    ArticleOut,
    ArticlePatch,
)
from schemas.query import ArticleListQuery, FormatQuery

blp = Blueprint(
    "articles", __name__, url_prefix="/v1/articles", description="Write and read articles."
)
blp.ARGUMENTS_PARSER = jsonbody.PARSER  # before the routes below read it

ARTICLE_IN = ArticleIn()
MERGE_PATCH = "application/merge-patch+json"
BODY_TYPES = ("application/json", MERGE_PATCH)  # PATCH documents only the merge patch type
WRITE_ERRORS = (400, 401, 413, 415, 422)
EDIT_ERRORS = (*WRITE_ERRORS, 404, 410, 412, 428)
ARTICLE_HEADERS = headers("ETag", "Last-Modified")
LIST_NAMES = names_of(ArticleListQuery)


def render_json(document) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def article_response(article: Document, status: int = 200, format: str = "json") -> Response:
    body = article.body if format == "json" else render_json(as_ninjs(article, format))
    response = Response(body, status=status, mimetype="application/json")
    response.last_modified = article.updated_at
    return response


def as_ninjs(article: Document, format: str) -> dict:
    """The article in the ninjs version that `?format=` names (ninjs, ninjs2)."""
    return ninjs.render(article.data(), ninjs.VERSIONS[format])


def merge_patch(target, patch):
    """RFC 7396 JSON merge patch."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for name, value in patch.items():
        if value is None:
            result.pop(name, None)
        else:
            result[name] = merge_patch(result.get(name), value)
    return result


def if_match_guard() -> Callable[[Document], None]:
    """428 without If-Match; the returned check raises 412 when the article has moved on."""
    header = request.headers.get("If-Match")
    if not header:
        abort(428, "Send If-Match with the article's current ETag, so that no edit is lost.")

    def check(current: Document) -> None:
        if not if_match(header, etag_of(current.body)):
            raise PreconditionFailed()

    return check


@blp.before_request
def writes_need_token_and_json():
    """Every write is authenticated, and every write body is JSON (else 401, 415)."""
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        g.token_id = current_token_id()
    if request.method in ("POST", "PUT", "PATCH") and request.mimetype not in BODY_TYPES:
        abort(415, "Send the article as application/json (or application/merge-patch+json).")
    if request.content_length is None and request.method in ("POST", "PUT", "PATCH"):
        # a chunked body: Werkzeug stops reading at the limit, so a longer one would arrive
        # cut short and look like broken JSON (a 400) instead of too large (a 413)
        if len(request.get_data(cache=True)) >= current_app.config["MAX_CONTENT_LENGTH"]:
            abort(413)


@blp.route("")
class Articles(MethodView):
    @cached("API_MAX_AGE")
    @blp.arguments(ArticleListQuery(), location="query", error_status_code=400)  # one instance
    @blp.response(200, ArticleList, headers=headers("ETag", "Last-Modified", "Link"))
    @blp.alt_response(304, **NOT_MODIFIED)
    @blp.doc(**operation("listArticles", 400, 503, parameters=("IfNoneMatch",)))
    def get(self, query):
        """List published articles, newest first"""
        items, cursor = get_store().list_articles(query, base_url())
        if query["format"] == "json":
            # the stored documents are ArticleOut's JSON already: joined, not parsed and dumped
            items_json = ",".join(item.json for item in items)
        else:
            items_json = ",".join(
                render_json(as_ninjs(item, query["format"])).decode() for item in items
            )
        body = '{"items":[' + items_json + '],"next_cursor":' + json.dumps(cursor) + "}"
        response = Response(body.encode(), mimetype="application/json")
        if cursor:
            params = [(k, v) for k, v in known(request.environ, LIST_NAMES) if k != "cursor"]
            next_url = with_query(request.path, params + [("cursor", cursor)])
            response.headers["Link"] = f'<{next_url}>; rel="next"'
        return response

    @blp.arguments(ArticleIn, example=EXAMPLE_IN)
    @blp.response(
        201, ArticleOut, headers=headers("Location", "ETag", "Last-Modified", "Idempotent-Replayed")
    )
    @blp.doc(
        **operation(
            "createArticle",
            *WRITE_ERRORS,
            parameters=("IdempotencyKey",),
            token="required",
            links={201: article_links("$response.body#/id")},
        )
    )
    def post(self, data):
        """Create an article (send Idempotency-Key to make retries safe)"""
        key = request.headers.get("Idempotency-Key")
        if key is not None and not (1 <= len(key) <= 200 and key.isascii() and key.isprintable()):
            abort(400, "Idempotency-Key must be 1 to 200 printable ASCII characters.")
        idempotency = None
        if key:
            digest = hashlib.sha256(request.get_data()).hexdigest()
            idempotency = (g.token_id, key, digest)
        article, created = get_store().create_article(data, base_url(), idempotency)
        response = article_response(article, status=201)
        response.headers["Location"] = base_url() + url_for(
            "articles.ArticleResource", key=article.data()["id"]
        )
        if not created:
            response.headers["Idempotent-Replayed"] = "true"
        return send(entry_of(response, None), status=201)


@blp.route("/<key>")
class ArticleResource(MethodView):
    @cached("API_MAX_AGE")
    @blp.arguments(FormatQuery(), location="query", error_status_code=400)
    @blp.response(200, ArticleOrNinjs().json_schema(), headers=ARTICLE_HEADERS)
    @blp.alt_response(304, **NOT_MODIFIED)
    @blp.doc(
        **operation(
            "getArticle",
            400,
            401,
            404,
            410,
            parameters=("IfNoneMatch",),
            token="optional",
            links={200: article_links("$request.path.key")},
        )
    )
    def get(self, query, key):
        """Get one article by id or slug (drafts and scheduled ones need a token)"""
        include_hidden = current_token_id(required=False) is not None
        article = get_store().get_article(key, base_url(), include_hidden)
        return article_response(article, format=query["format"])

    @blp.arguments(ArticleIn, example=EXAMPLE_IN)
    @blp.response(200, ArticleOut, headers=ARTICLE_HEADERS)
    @blp.doc(
        **operation(
            "replaceArticle",
            *EDIT_ERRORS,
            parameters=("IfMatch",),
            token="required",
            links={200: article_links("$request.path.key")},
        )
    )
    def put(self, data, key):
        """Replace an article (If-Match required)"""
        check = if_match_guard()
        return written(get_store().update_article(key, data, base_url(), check))

    @blp.arguments(ArticlePatch, content_type=MERGE_PATCH, example={"lead": EXAMPLE_IN["lead"]})
    @blp.response(200, ArticleOut, headers=ARTICLE_HEADERS)
    @blp.doc(
        **operation(
            "patchArticle",
            *EDIT_ERRORS,
            parameters=("IfMatch",),
            token="required",
            links={200: article_links("$request.path.key")},
        )
    )
    def patch(self, _valid_patch, key):
        """Change some fields of an article with a JSON merge patch (If-Match required)"""
        check = if_match_guard()
        patch = request.get_json()  # merged as sent: ArticlePatch checked it, ArticleIn will

        def merged(current: dict) -> dict:  # called by the store, again if the article changed
            if (
                isinstance(patch, dict)
                and patch.get("body_text") is not None
                and "body" not in patch
            ):
                current.pop("body")
            return ARTICLE_IN.load(merge_patch(current, patch))

        return written(get_store().patch_article(key, merged, base_url(), check))

    @blp.response(204)
    @blp.doc(
        **operation(
            "deleteArticle", 401, 404, 410, 412, 428, parameters=("IfMatch",), token="required"
        )
    )
    def delete(self, key):
        """Delete an article (If-Match required); it leaves every list and feed"""
        get_store().delete_article(key, base_url(), if_match_guard())
        return Response(status=204)


def written(article: Document) -> Response:
    return send(entry_of(article_response(article), None))
