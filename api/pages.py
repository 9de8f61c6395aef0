"""Small server-side HTML pages for humans and crawlers, linking the feeds.

`/` lists the newest articles, `/sections/<s>`, `/tags/<t>` and `/authors/<a>` list one
section's, tag's or author's (each page "Ältere Meldungen" continues with the list's cursor),
and `/articles/<slug>` shows one article with its canonical link, OpenGraph and JSON-LD.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template, request
from markupsafe import Markup
from webargs.flaskparser import parser
from werkzeug.exceptions import UnprocessableEntity

from api import display
from api.article_html import figure_html
from api.caching import cached
from api.feeds import feed_urls
from api.store import BadCursor, Gone, NotFound, get_store
from api.urls import base_url, with_query
from schemas.fields import slugify_text, tag_slug
from schemas.query import ArticleListQuery

bp = Blueprint("pages", __name__)

PAGE_SIZE = 20
CURSOR_QUERY = ArticleListQuery(only=("cursor",))


@bp.app_template_filter("german_time")
def german_time(moment) -> str:
    return display.german_time(moment, current_app.config["SITE_TIMEZONE"])


@bp.app_template_filter("section_name")
def section_name(section: str) -> str:
    return display.section_name(section, current_app.config["SECTION_NAMES"])


@bp.app_context_processor
def helpers() -> dict:
    return {
        "tag_slug": tag_slug,
        "author_slug": slugify_text,
        "figure_html": lambda image: Markup(figure_html(image)),
        "was_updated": display.was_updated,
    }


def page(template: str, status: int = 200, **context) -> Response:
    html = render_template(template, feeds=feed_urls(), config=current_app.config, **context)
    response = Response(html, status=status, mimetype="text/html")
    if status >= 400:  # like every problem+json answer: a cache keeps no error
        response.headers["Cache-Control"] = "no-store"
    return response


def listing(query: dict, heading=lambda articles: None) -> Response:
    """A page of the list (newest first) linking the next page; a filter that matches nothing
    is a 404. `heading` names the list from its articles (a tag's label, an author's name)."""
    try:
        cursor = parser.parse(CURSOR_QUERY, request, location="query").get("cursor")
    except UnprocessableEntity:  # webargs' invalid query: a reader gets a page, not JSON
        return page("not_found.html", status=400)
    try:
        documents, next_cursor = get_store().list_articles(
            {**query, "limit": PAGE_SIZE, **({"cursor": cursor} if cursor else {})}, base_url()
        )
    except BadCursor:
        return page("not_found.html", status=400)
    articles = [document.data() for document in documents]
    if query and not articles and not cursor:
        return page("not_found.html", status=404)
    return page(
        "index.html",
        heading=heading(articles),
        articles=articles,
        next_url=with_query(request.path, [("cursor", next_cursor)]) if next_cursor else None,
        first_url=base_url() + request.path if cursor else None,
        canonical=with_query(request.path, [("cursor", cursor)] if cursor else []),
    )


@bp.get("/")
@cached("FEED_MAX_AGE", CURSOR_QUERY)
def index():
    return listing({})


@bp.get("/sections/<section>")
@cached("FEED_MAX_AGE", CURSOR_QUERY)
def section(section: str):
    if slugify_text(section, max_length=60) != section:
        return page("not_found.html", status=404)
    return listing({"section": section}, lambda _: section_name(section))


@bp.get("/tags/<tag>")
@cached("FEED_MAX_AGE", CURSOR_QUERY)
def tag(tag: str):
    if tag_slug(tag) != tag:
        return page("not_found.html", status=404)

    def label(articles: list[dict]) -> str:
        labels = (t for a in articles for t in a["tags"] if tag_slug(t) == tag)
        return "Thema: " + next(labels, tag)

    return listing({"tag": [tag]}, label)


@bp.get("/authors/<author>")
@cached("FEED_MAX_AGE", CURSOR_QUERY)
def author(author: str):
    if slugify_text(author) != author:
        return page("not_found.html", status=404)

    def name(articles: list[dict]) -> str:
        names = (
            a["name"] for x in articles for a in x["authors"] if slugify_text(a["name"]) == author
        )
        return "Von " + next(names, author)

    return listing({"author": author}, name)


@bp.get("/articles/<slug>")
@cached("FEED_MAX_AGE")
def article(slug: str):
    try:
        article = get_store().get_article(slug, base_url(), False).data()
    except NotFound:
        return page("not_found.html", status=404)
    except Gone:
        return page("not_found.html", status=410)
    config = current_app.config
    return page(
        "article.html",
        article=article,
        canonical=article["url"],
        open_graph=display.open_graph(article, config, base_url()),
        json_ld=display.news_article(article, config, base_url()),
    )
