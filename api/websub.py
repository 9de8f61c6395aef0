"""WebSub (W3C): feeds name the hub (WEBSUB_HUB), and the hub hears which feeds changed.

The topics of a change are the URLs its article appears under: the three main feeds, and the
three feeds of its section (for a deletion, the section it had). The delivery process pings the
hub with a publish request (`hub.mode=publish`, `hub.url=<feed URL>`) for each.
"""

from __future__ import annotations

import logging
import urllib.error
import urllib.request
from urllib.parse import urlencode

from feedgen.ext.base import BaseExtension
from feedgen.feed import FeedGenerator
from feedgen.util import xml_elem

log = logging.getLogger(__name__)
FEEDS = ("rss.xml", "atom.xml", "feed.json")  # as routed in api/feeds.py
ATOM = "http://www.w3.org/2005/Atom"


class HubLink(BaseExtension):
    """The hub link: `<atom:link rel="hub">` in RSS (feedgen writes only rel="self" there)
    and `<link rel="hub">` in Atom, beside the self link."""

    def __init__(self):
        self.hub: str | None = None

    def extend_rss(self, rss):  # feedgen declares the atom prefix in every RSS feed
        xml_elem(f"{{{ATOM}}}link", rss[0], href=self.hub, rel="hub")
        return rss

    def extend_atom(self, feed):
        xml_elem("link", feed, href=self.hub, rel="hub")  # un-namespaced, as feedgen's own
        return feed


def advertise(fg: FeedGenerator, hub: str) -> None:
    """Name the hub in an RSS or Atom feed."""
    fg.register_extension("websub", HubLink, None)
    fg.websub.hub = hub


def json_feed_hubs(hub: str) -> list[dict]:
    """JSON Feed 1.1's `hubs`."""
    return [{"type": "WebSub", "url": hub}]


def topics(store, changes: list, base_url: str) -> set[str]:
    """The feed URLs whose content `changes` (from Store.changes_since) affect."""
    if not changes:
        return set()
    sections = {article.data().get("section") for change, article in changes if article is not None}
    deleted = [change["id"] for change, article in changes if article is None]
    sections |= set(store.article_sections(deleted).values())
    urls = {f"{base_url}/feeds/{name}" for name in FEEDS}
    for section in sections - {None}:
        query = urlencode({"section": section})
        urls |= {f"{base_url}/feeds/{name}?{query}" for name in FEEDS}
    return urls


def ping(hub: str, topic: str, timeout: float) -> bool:
    """A publish ping for one topic; whether the hub accepted it (2xx)."""
    body = urlencode({"hub.mode": "publish", "hub.url": topic}).encode()
    request = urllib.request.Request(hub, data=body, method="POST")
    request.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return 200 <= response.status < 300
    except (OSError, urllib.error.HTTPError) as exc:
        log.warning("WebSub hub %s did not take the ping for %s: %s", hub, topic, exc)
        return False
