"""WebSub: every feed names the hub when WEBSUB_HUB is set (pings: test_webhooks.py)."""

from __future__ import annotations

import feedparser
import pytest
from lxml import etree

HUB = "https://hub.example.org/"
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.mark.parametrize("path", ["/feeds/rss.xml", "/feeds/atom.xml?section=politik"])
def test_xml_feeds_name_the_hub_beside_their_self_link(app, client, create, path):
    app.config["WEBSUB_HUB"] = HUB
    create()
    body = client.get(path).data
    root = etree.fromstring(body)
    links = {link.get("rel"): link.get("href") for link in root.iter(f"{ATOM}link")}
    assert links["hub"] == HUB
    assert links["self"] == "http://localhost" + path
    assert feedparser.parse(body).bozo == 0


def test_json_feed_names_the_hub(app, client, create):
    app.config["WEBSUB_HUB"] = HUB
    create()
    document = client.get("/feeds/feed.json").get_json()
    assert document["hubs"] == [{"type": "WebSub", "url": HUB}]


def test_without_a_hub_feeds_name_none(client, create):
    create()
    assert b'rel="hub"' not in client.get("/feeds/atom.xml").data
    assert "hubs" not in client.get("/feeds/feed.json").get_json()
