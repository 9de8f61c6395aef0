"""RSS 2.0, Atom 1.0 and JSON Feed 1.1: rendering and the /feeds routes.

Rendering is pure: the same articles and channel give the same bytes, so a feed can be
cached by the change-log head and its ETag only changes when its content does.
"""

from __future__ import annotations

import json
import mimetypes
from datetime import UTC, datetime
from html import escape

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from feedgen.util import xml_elem
from flask import Blueprint, Response, current_app, request
from webargs.flaskparser import parser

from api import websub
from api.article_html import content_html
from api.caching import cached, request_head
from api.feed_history import add_history, json_feed_paging, subscription_history
from api.store import get_store, utcnow
from api.urls import base_url, request_url
from schemas.fields import rfc3339, slugify_text
from schemas.query import FeedQuery

RSS_MIMETYPE = "application/rss+xml; charset=utf-8"
ATOM_MIMETYPE = "application/atom+xml; charset=utf-8"
JSON_FEED_MIMETYPE = "application/feed+json; charset=utf-8"
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)

bp = Blueprint("feeds", __name__, url_prefix="/feeds")

FEED_QUERY = FeedQuery()


# --- rendering ---------------------------------------------------------------------------


class AtomLinks(BaseExtension):
    """Feed half of the entry-links extension; feedgen wants one for every extension."""


class AtomEntryLinks(BaseEntryExtension):
    """Atom entry links with their `rel`, `type` and `title`.

    feedgen 1.0.0 drops `rel` and `type` of every entry link (a shadowed loop variable in
    entry.py), so related and enclosure links are written here, the way feedgen's own
    extensions add elements.
    """

    def __init__(self):
        self.links: list[dict] = []

    def add(self, **attributes: str) -> None:
        self.links.append({k: v for k, v in attributes.items() if v is not None})

    def extend_atom(self, entry):
        for attributes in self.links:
            link = xml_elem("link", entry)  # un-namespaced, like feedgen's own Atom elements
            for name, value in attributes.items():
                link.attrib[name] = value
        return entry


DCTERMS = "http://purl.org/dc/terms/"


class RssModified(BaseExtension):
    """Feed half of the modified-date extension: declares the dcterms namespace."""

    def extend_ns(self):
        return {"dcterms": DCTERMS}


class RssEntryModified(BaseEntryExtension):
    """`<dcterms:modified>` of an RSS item: RSS 2.0 has no element for the last update."""

    def __init__(self):
        self.moment: datetime | None = None

    def extend_rss(self, item):
        if self.moment is not None:
            xml_elem(f"{{{DCTERMS}}}modified", item).text = rfc3339(self.moment)
        return item


def image_type(url: str) -> str | None:
    return mimetypes.guess_type(url.split("?")[0])[0]


def new_generator(channel: dict, self_type: str) -> FeedGenerator:
    fg = FeedGenerator()
    fg.id(channel["self_url"])
    fg.title(channel["title"])
    fg.description(channel["description"])
    # the self link first: RSS <channel><link> is whichever link() comes last
    fg.link(href=channel["self_url"], rel="self", type=self_type)
    fg.link(href=channel["home_url"], rel="alternate", type="text/html")
    if channel.get("hub"):
        websub.advertise(fg, channel["hub"])
    fg.language(channel["language"])
    fg.updated(channel["updated"])
    fg.lastBuildDate(channel["updated"])
    fg.generator("Newswire", uri=None)
    return fg


def render_rss(articles: list[dict], channel: dict) -> bytes:
    fg = new_generator(channel, "application/rss+xml")
    fg.load_extension("dc")
    fg.load_extension("media", atom=False, rss=True)
    fg.register_extension("modified", RssModified, RssEntryModified, atom=False, rss=True)
    for article in articles:
        fe = fg.add_entry(order="append")
        fe.guid(f"urn:uuid:{article['id']}", permalink=False)
        fe.title(article["headline"])
        fe.link(href=article["url"])
        fe.description(escape(article["lead"], quote=False))  # RSS readers read it as HTML
        fe.content(content_html(article), type="html")
        fe.published(article["published_at"])
        fe.modified.moment = article["updated_at"]
        if article["section"]:
            fe.category(term=article["section"])
        for tag in article["tags"]:
            fe.category(term=tag)
        for author in article["authors"]:
            fe.dc.dc_creator(author["name"])
        if article["image"]:
            fe.media.content(
                url=article["image"]["url"],
                medium="image",
                group=None,
                **(
                    {"type": image_type(article["image"]["url"])}
                    if image_type(article["image"]["url"])
                    else {}
                ),
            )
    add_history(fg, channel)
    # RSS does not say whether its text is plain or HTML; the RSS Best Practices Profile asks
    # for "&" and "<" in plain text as hexadecimal references. It is the same XML either way:
    # lxml writes every literal "&" and "<" as these two entity references, and nothing else.
    return fg.rss_str(pretty=False).replace(b"&amp;", b"&#x26;").replace(b"&lt;", b"&#x3C;")


def render_atom(articles: list[dict], channel: dict) -> bytes:
    fg = new_generator(channel, "application/atom+xml")
    fg.subtitle(channel["description"])
    fg.author(name=channel["publisher"], uri=channel["home_url"])
    fg.register_extension("links", AtomLinks, AtomEntryLinks, atom=True, rss=False)
    for article in articles:
        fe = fg.add_entry(order="append")
        fe.id(f"urn:uuid:{article['id']}")
        fe.title(article["headline"])
        fe.summary(article["lead"])
        fe.content(content_html(article), type="html")
        fe.published(article["published_at"])
        fe.updated(article["updated_at"])
        for author in article["authors"] or [{"name": channel["publisher"]}]:
            fe.author(name=author["name"], uri=author.get("url"))
        if article["section"]:
            fe.category(term=article["section"], label=article["section"])
        for tag in article["tags"]:
            fe.category(term=slugify_text(tag, max_length=60), label=tag)
        fe.links.add(rel="alternate", type="text/html", href=article["url"])
        for item in article["related"]:
            fe.links.add(rel="related", type="text/html", href=item["url"], title=item["title"])
        if article["image"]:
            fe.links.add(
                rel="enclosure",
                href=article["image"]["url"],
                type=image_type(article["image"]["url"]),
                title=article["image"]["alt"],
            )
    add_history(fg, channel)
    return fg.atom_str(pretty=False)


def render_json_feed(articles: list[dict], channel: dict) -> bytes:
    items = []
    for article in articles:
        item = {
            "id": f"urn:uuid:{article['id']}",
            "url": article["url"],
            "title": article["headline"],
            "summary": article["lead"],
            "content_html": content_html(article),
            "date_published": rfc3339(article["published_at"]),
            "date_modified": rfc3339(article["updated_at"]),
            "language": article["language"],
            "tags": ([article["section"]] if article["section"] else []) + article["tags"],
        }
        if article["authors"]:
            item["authors"] = article["authors"]
        if article["image"]:
            item["image"] = article["image"]["url"]
        items.append(item)
    document = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": channel["title"],
        "home_page_url": channel["home_url"],
        "feed_url": channel["self_url"],
        "description": channel["description"],
        "language": channel["language"],
        "authors": [{"name": channel["publisher"], "url": channel["home_url"]}],
        **json_feed_paging(channel),
        "items": items,
    }
    if channel.get("hub"):
        document["hubs"] = websub.json_feed_hubs(channel["hub"])
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


# --- routes ------------------------------------------------------------------------------

FORMATS = {
    "rss.xml": (render_rss, RSS_MIMETYPE),
    "atom.xml": (render_atom, ATOM_MIMETYPE),
    "feed.json": (render_json_feed, JSON_FEED_MIMETYPE),
}


def feed_urls() -> dict[str, str]:
    return {name: f"{base_url()}/feeds/{name}" for name in FORMATS}


@bp.get("/<any('rss.xml', 'atom.xml', 'feed.json'):name>")
@cached("FEED_MAX_AGE", FeedQuery)  # parsed in the view, so named here
def feed(name: str):
    """A feed of the newest visible articles, filtered like the list."""
    query = parser.parse(FEED_QUERY, request, location="query")
    render, mimetype = FORMATS[name]
    documents, older = get_store().list_articles(query, base_url())
    articles = [document.data() for document in documents]
    channel = feed_channel(query, articles)
    channel["history"] = subscription_history(name, query, articles, older)
    return Response(render(articles, channel), mimetype=mimetype)


def feed_channel(query: dict, articles: list[dict]) -> dict:
    """The channel of a feed (or of one of its archive pages) holding these articles."""
    head = request_head(utcnow())  # read once per request, by @cached
    newest = max((a["updated_at"] for a in articles), default=None)
    config = current_app.config
    return {
        "title": config["SITE_TITLE"] + feed_title_suffix(query),
        "description": config["SITE_DESCRIPTION"],
        "home_url": base_url() + "/",
        "self_url": request_url(FEED_QUERY),
        "language": query.get("language") or config["DEFAULT_LANGUAGE"],
        "updated": newest or head.changed_at or EPOCH,
        "publisher": config["SITE_TITLE"],
        "hub": config["WEBSUB_HUB"],
    }


def feed_title_suffix(query: dict) -> str:
    parts = [query[k] for k in ("section", "language") if query.get(k)] + list(
        query.get("tag") or []
    )
    if query.get("q"):
        parts.append(query["q"].text)  # a saved search
    return (" – " + ", ".join(parts)) if parts else ""
