"""/ and /articles/<slug>: small server-side HTML pages for humans, linking the feeds."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template

from api.caching import cached
from api.feeds import feed_urls
from api.store import Gone, NotFound, get_store
from api.urls import base_url

bp = Blueprint("pages", __name__)


def page(template: str, status: int = 200, **context) -> Response:
    html = render_template(template, feeds=feed_urls(), config=current_app.config, **context)
    return Response(html, status=status, mimetype="text/html")


@bp.get("/")
@cached("FEED_MAX_AGE")
def index():
    documents, _ = get_store().list_articles({"limit": 20}, base_url())
    articles = [document.data() for document in documents]
    return page("index.html", articles=articles)


@bp.get("/articles/<slug>")
@cached("FEED_MAX_AGE")
def article(slug: str):
    try:
        article = get_store().get_article(slug, base_url(), False).data()
    except NotFound:
        return page("not_found.html", status=404)
    except Gone:
        return page("not_found.html", status=410)
    return page("article.html", article=article)
