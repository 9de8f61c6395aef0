"""Feed paging and archiving (RFC 5005) and deleted entries (RFC 6721): the links and
tombstones of a feed, and how feedgen writes them.

A feed's channel may carry a `history` dict: the links `prev-archive`, `next-archive` and
`current` (each a URL or None), `archive` (whether the document is a closed archive, marked
`<fh:archive/>`), and `deleted`, (id, when) pairs written as Atom tombstones. Written the way
feedgen's own extensions add elements; JSON Feed carries `prev-archive` as `next_url`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from feedgen.ext.base import BaseExtension
from feedgen.feed import FeedGenerator
from feedgen.util import xml_elem
from flask import current_app, request

from api.store import get_store, utcnow
from api.urls import with_query
from schemas.fields import rfc3339
from schemas.query import ArchiveQuery

ATOM = "http://www.w3.org/2005/Atom"
FH = "http://purl.org/syndication/history/1.0"
TOMBSTONES = "http://purl.org/atompub/tombstones/1.0"
RELATIONS = ("current", "prev-archive", "next-archive")


class History(BaseExtension):
    """Feed-level archive links, the archive mark, and tombstones (Atom only)."""

    def __init__(self):
        self.links: dict[str, str | None] = {}
        self.archive = False
        self.deleted: list[tuple[str, datetime]] = []

    def extend_ns(self):
        return {
            **({"fh": FH} if self.archive else {}),
            **({"at": TOMBSTONES} if self.deleted else {}),
        }

    def extend_atom(self, feed):
        # un-namespaced, like feedgen's own Atom elements
        self.write_links(feed, "link", "application/atom+xml")
        if self.archive:
            xml_elem(f"{{{FH}}}archive", feed)
        for article_id, when in self.deleted:
            tombstone = xml_elem(f"{{{TOMBSTONES}}}deleted-entry", feed)
            tombstone.attrib["ref"] = f"urn:uuid:{article_id}"
            tombstone.attrib["when"] = rfc3339(when)
        return feed

    def extend_rss(self, feed):
        channel = feed.find("channel")
        self.write_links(channel, f"{{{ATOM}}}link", "application/rss+xml")
        if self.archive:
            xml_elem(f"{{{FH}}}archive", channel)
        return feed

    def write_links(self, parent, tag: str, media_type: str) -> None:
        for rel in RELATIONS:
            if self.links.get(rel):
                link = xml_elem(tag, parent)
                link.attrib["rel"] = rel
                link.attrib["href"] = self.links[rel]
                link.attrib["type"] = media_type


def add_history(fg: FeedGenerator, channel: dict) -> None:
    """Write the channel's `history`, if it has one, into the feed being generated."""
    history = channel.get("history")
    if not history:
        return
    fg.register_extension("history", History, None, atom=True, rss=True)
    fg.history.links = {rel: history.get(rel) for rel in RELATIONS}
    fg.history.archive = bool(history.get("archive"))
    fg.history.deleted = list(history.get("deleted") or [])


def json_feed_paging(channel: dict) -> dict:
    """JSON Feed's `next_url` (the older items) from the channel's `prev-archive`."""
    older = (channel.get("history") or {}).get("prev-archive")
    return {"next_url": older} if older else {}


# --- the links ---------------------------------------------------------------------------

FILTERS = tuple(name for name in ArchiveQuery().fields if name not in ("limit", "cursor"))
TOMBSTONES_MAX = 100  # the newest deletions in the window, at most


def filter_params() -> list[tuple[str, str]]:
    """The feed's filters as the request gave them, to carry into its archive links."""
    return [(name, value) for name in FILTERS for value in request.args.getlist(name)]


def filters_of(query: dict) -> dict:
    return {name: query[name] for name in FILTERS if query.get(name)}


def archive_url(name: str, day: date, cursor: str | None = None) -> str:
    """An archive page: one UTC day of the feed, or the rest of it after `cursor`."""
    params = filter_params() + ([("cursor", cursor)] if cursor else [])
    return with_query(f"/feeds/archive/{day.isoformat()}/{name}", params)


def current_url(name: str) -> str:
    """The subscription feed with the same filters."""
    return with_query(f"/feeds/{name}", filter_params())


def utc_day(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


def subscription_history(
    name: str, query: dict, articles: list[dict], older_cursor: str | None
) -> dict:
    """The subscription feed's history: `prev-archive` when older articles exist (the rest of
    its oldest article's day, from that article on), and in Atom the recent deletions.
    A saved search (`q`) has no archive: its matches are paged by the search index."""
    history: dict = {}
    if articles and older_cursor and not query.get("q"):
        history["prev-archive"] = archive_url(
            name, utc_day(articles[-1]["published_at"]), older_cursor
        )
    if name == "atom.xml":
        days = current_app.config["TOMBSTONE_DAYS"]
        since = utcnow() - timedelta(days=days)
        history["deleted"] = get_store().deletions(filters_of(query), since, TOMBSTONES_MAX)
    return history
