"""/robots.txt, /sitemap.xml (an index), a sitemap per day of publication, a Google News sitemap.

Crawlers find every published article in the day sitemaps (`/sitemaps/articles-YYYY-MM-DD.xml`,
days in UTC, each at most 50,000 URLs with `lastmod`) and the articles of the last 48 hours in
`/sitemaps/news.xml`. Everything is read through `Store.list_articles`, page by page with its
cursor, and cached by the change-log head like every public answer (`@cached`).

The index finds the days that hold articles without counting anything: it asks for the newest
article published before the day it has just listed, so it costs one indexed query per day
that has articles, however many articles each day holds.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from itertools import islice
from xml.etree import ElementTree as ET

from flask import Blueprint, Response, abort, current_app

from api.caching import cached
from api.store import get_store
from api.urls import base_url
from schemas.fields import rfc3339

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"
XML_MIMETYPE = "application/xml; charset=utf-8"
MAX_URLS = 50_000  # sitemaps.org: at most 50,000 URLs per sitemap
NEWS_WINDOW = timedelta(hours=48)  # Google News: articles of the last two days
NEWS_MAX_URLS = 1_000  # Google News: at most 1,000 URLs per news sitemap
PAGE = 500  # articles per list_articles query
DAY_PATH = re.compile(r"\d{4}-\d{2}-\d{2}")

ET.register_namespace("", SITEMAP_NS)
ET.register_namespace("news", NEWS_NS)

bp = Blueprint("sitemaps", __name__)


# --- reading -------------------------------------------------------------------------------


def visible_articles(query: dict, most: int) -> Iterator[dict]:
    """Up to `most` visible articles matching the query, newest first, page by page."""
    store = get_store()
    query = dict(query)
    while most > 0:
        query["limit"] = min(PAGE, most)
        documents, cursor = store.list_articles(query, base_url())
        for document in documents:
            yield document.data()
        most -= len(documents)
        if cursor is None:
            return
        query["cursor"] = cursor


def days_with_articles() -> Iterator[date]:
    """Every UTC day on which a visible article was published, newest first."""
    query: dict = {}
    while newest := next(visible_articles(query, 1), None):
        day = newest["published_at"].astimezone(UTC).date()
        yield day
        query["published_before"] = day_start(day)


def day_start(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def own_url(article: dict) -> bool:
    """Sitemaps may only name URLs under their own address: an article whose canonical_url
    points elsewhere is listed by that site, not ours."""
    return article["url"].startswith(base_url() + "/")


# --- rendering -----------------------------------------------------------------------------


def xml_response(root: ET.Element) -> Response:
    return Response(
        ET.tostring(root, encoding="utf-8", xml_declaration=True), mimetype=XML_MIMETYPE
    )


def child(parent: ET.Element, namespace: str, name: str, text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, f"{{{namespace}}}{name}")
    element.text = text
    return element


def urlset(articles: Iterator[dict], news: dict | None = None) -> ET.Element:
    """A `<urlset>` of the articles; with `news` (publication name), Google News elements too."""
    root = ET.Element(f"{{{SITEMAP_NS}}}urlset")
    for article in articles:
        if not own_url(article):
            continue
        url = child(root, SITEMAP_NS, "url")
        child(url, SITEMAP_NS, "loc", article["url"])
        child(url, SITEMAP_NS, "lastmod", rfc3339(article["updated_at"]))
        if news is not None:
            entry = child(url, NEWS_NS, "news")
            publication = child(entry, NEWS_NS, "publication")
            child(publication, NEWS_NS, "name", news["name"])
            child(publication, NEWS_NS, "language", news_language(article["language"]))
            child(entry, NEWS_NS, "publication_date", rfc3339(article["published_at"]))
            child(entry, NEWS_NS, "title", article["headline"])
    return root


def news_language(tag: str) -> str:
    """Google News wants an ISO 639 code, and zh-cn / zh-tw for Chinese scripts."""
    parts = tag.lower().split("-")
    if parts[0] == "zh":
        return "zh-tw" if {"hant", "tw", "hk", "mo"} & set(parts[1:]) else "zh-cn"
    return parts[0]


# --- routes --------------------------------------------------------------------------------


@bp.get("/robots.txt")
@cached("FEED_MAX_AGE")
def robots():
    lines = [
        "User-agent: *",
        "Allow: /",
        "",
        f"Sitemap: {base_url()}/sitemap.xml",
        f"Sitemap: {base_url()}/sitemaps/news.xml",
    ]
    return Response("\n".join(lines) + "\n", mimetype="text/plain")


@bp.get("/sitemap.xml")
@cached("FEED_MAX_AGE")
def index():
    """The sitemap index: the news sitemap (while it has articles) and every day's sitemap."""
    root = ET.Element(f"{{{SITEMAP_NS}}}sitemapindex")
    since = datetime.now(UTC) - NEWS_WINDOW
    if next(visible_articles({"published_after": since}, 1), None):
        entry = child(root, SITEMAP_NS, "sitemap")
        child(entry, SITEMAP_NS, "loc", f"{base_url()}/sitemaps/news.xml")
    for day in islice(days_with_articles(), MAX_URLS - 1):  # the index's own limit
        entry = child(root, SITEMAP_NS, "sitemap")
        child(entry, SITEMAP_NS, "loc", f"{base_url()}/sitemaps/articles-{day.isoformat()}.xml")
    return xml_response(root)


@bp.get("/sitemaps/articles-<day>.xml")
@cached("FEED_MAX_AGE")
def day_sitemap(day: str):
    """Every article published on one day (UTC), newest first, each with its lastmod."""
    try:
        moment = day_start(date.fromisoformat(day)) if DAY_PATH.fullmatch(day) else None
    except ValueError:
        moment = None
    if moment is None:
        abort(404)
    query = {}  # the day's window; a bound past the calendar's ends (year 1, 9999) is left out
    if moment > datetime.min.replace(tzinfo=UTC):
        query["published_after"] = moment - timedelta(microseconds=1)  # the filter is exclusive
    if moment.date() < date.max:
        query["published_before"] = moment + timedelta(days=1)
    articles = list(visible_articles(query, MAX_URLS))
    if not articles:
        abort(404)
    return xml_response(urlset(iter(articles)))


@bp.get("/sitemaps/news.xml")
@cached("FEED_MAX_AGE")
def news_sitemap():
    """Google News: the articles published in the last 48 hours (an empty set when none)."""
    since = datetime.now(UTC) - NEWS_WINDOW
    articles = visible_articles({"published_after": since}, NEWS_MAX_URLS)
    return xml_response(urlset(articles, news={"name": current_app.config["SITE_TITLE"]}))
