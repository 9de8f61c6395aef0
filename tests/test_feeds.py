"""The feeds as readers see them: parsed by feedparser and lxml, never by string matching."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import feedparser
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from api.feeds import render_atom, render_json_feed, render_rss

XML_FEEDS = {
    "/feeds/rss.xml": "application/rss+xml",
    "/feeds/atom.xml": "application/atom+xml",
}
ATOM = "{http://www.w3.org/2005/Atom}"


def parse(response):
    """Parse a feed the way a reader does, with its HTTP content type."""
    assert response.status_code == 200
    parsed = feedparser.parse(
        response.data, response_headers={"content-type": response.headers["Content-Type"]}
    )
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    return parsed


@pytest.fixture
def rich(create):
    """A published article with everything a feed item can carry."""
    target = create(headline="Vorgeschichte", published_at="2026-11-19T08:00:00Z")
    return create(
        headline="Glaskunst & „Licht“ <im> Museum",
        lead="Mehr als 300 Objekte aus vier Jahrhunderten.",
        body="<p>Erster <em>Absatz</em>.</p><h2>Zwischentitel</h2><p>Zweiter.</p>",
        section="kultur",
        tags=["Ausstellung", "Glas"],
        authors=[{"name": "Lea Winter", "url": "https://example.org/autoren/lea-winter"}],
        image={"url": "https://example.org/bilder/glas.jpg", "alt": "Ein Kronleuchter"},
        related=[
            {"article": target["id"]},
            {"url": "https://example.org/museum", "title": "Museum am Hafen"},
        ],
    )


@pytest.mark.parametrize("path", XML_FEEDS)
def test_xml_feeds_parse_with_content_type_and_caching(client, rich, path):
    response = client.get(path)
    assert response.mimetype == XML_FEEDS[path]
    assert response.headers["Content-Type"].endswith("charset=utf-8")
    assert response.headers["Cache-Control"] == "public, max-age=60, s-maxage=1"
    assert response.headers["ETag"] and response.headers["Last-Modified"]
    parsed = parse(response)
    assert [e.title for e in parsed.entries] == [rich["headline"], "Vorgeschichte"]
    entry = parsed.entries[0]
    assert entry.id == f"urn:uuid:{rich['id']}"
    assert entry.link == rich["url"]
    assert entry.summary == rich["lead"]
    assert "<em>Absatz</em>" in entry.content[0].value
    assert {t.term for t in entry.tags} >= {"kultur"}
    assert entry.author == "Lea Winter"
    assert entry.published_parsed[:5] == (2026, 11, 20, 8, 30)
    updated = datetime.fromisoformat(rich["updated_at"].replace("Z", "+00:00"))
    assert entry.updated_parsed[:6] == updated.timetuple()[:6]  # RSS: dcterms:modified
    again = client.get(path, headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    since = client.get(path, headers={"If-Modified-Since": response.headers["Last-Modified"]})
    assert since.status_code == 304


@pytest.mark.parametrize("path", [*XML_FEEDS, "/feeds/feed.json"])
def test_item_content_carries_lead_image_and_related_links(client, create, path):
    """Readers that show only the content (newsboat) see the whole article."""
    target = create(headline="Vorgeschichte", published_at="2026-11-19T08:00:00Z")
    article = create(
        lead="Der Vorspann <kommt> zuerst & fett.",
        body="<p>Der Text.</p>",
        image={
            "url": "https://example.org/bilder/glas.jpg",
            "alt": "Ein Kronleuchter",
            "caption": "Licht im Foyer",
            "credit": "Lea Winter",
        },
        related=[
            {"article": target["id"]},
            {"url": "https://example.org/museum", "title": "Museum am Hafen"},
        ],
    )
    response = client.get(path)
    if path.endswith(".json"):
        item = json.loads(response.data)["items"][0]
        content, summary = item["content_html"], item["summary"]
    else:
        entry = parse(response).entries[0]
        content, summary = entry.content[0].value, entry.summary
        if entry.summary_detail.type == "text/html":  # RSS: description is HTML
            summary = etree.fromstring(f"<p>{summary}</p>", etree.HTMLParser()).xpath("string()")
    assert summary == article["lead"]  # summary/description stay the lead
    fragment = etree.fromstring(f"<div>{content}</div>", etree.HTMLParser())
    assert fragment.xpath("string(//p[1])") == article["lead"]
    assert fragment.xpath("//figure/img/@src") == ["https://example.org/bilder/glas.jpg"]
    assert fragment.xpath("//figure/img/@alt") == ["Ein Kronleuchter"]
    caption = fragment.xpath("string(//figure/figcaption)")
    assert "Licht im Foyer" in caption and "Lea Winter" in caption
    assert fragment.xpath("string(//p[2])") == "Der Text."
    assert fragment.xpath("//ul/li/a/@href") == [target["url"], "https://example.org/museum"]
    assert fragment.xpath("//ul/li/a/text()") == ["Vorgeschichte", "Museum am Hafen"]


def test_atom_entry_links_keep_rel_and_title(client, rich):
    root = etree.fromstring(client.get("/feeds/atom.xml").data)
    entry = root.find(f"{ATOM}entry")
    links = [
        (link.get("rel"), link.get("href"), link.get("title"))
        for link in entry.findall(f"{ATOM}link")
    ]
    assert ("alternate", rich["url"], None) in links
    assert ("related", rich["related"][0]["url"], "Vorgeschichte") in links
    assert ("related", "https://example.org/museum", "Museum am Hafen") in links
    assert ("enclosure", "https://example.org/bilder/glas.jpg", "Ein Kronleuchter") in links
    assert entry.find(f"{ATOM}content").get("type") == "html"
    assert {c.get("label") for c in entry.findall(f"{ATOM}category")} >= {"Ausstellung", "Glas"}
    assert root.find(f"{ATOM}link[@rel='self']").get("href") == "http://localhost/feeds/atom.xml"


def test_atom_entry_without_author_falls_back_to_publisher(client, create):
    create(authors=[])
    parsed = parse(client.get("/feeds/atom.xml"))
    assert parsed.entries[0].author == "Newswire"


def test_rss_carries_related_links_image_and_guid(client, rich):
    response = client.get("/feeds/rss.xml?section=kultur")
    root = etree.fromstring(response.data)
    channel = root.find("channel")
    assert channel.find("link").text == "http://localhost/"
    self_link = channel.find(f"{ATOM}link")
    assert self_link.get("rel") == "self"
    assert self_link.get("href") == "http://localhost/feeds/rss.xml?section=kultur"
    item = channel.find("item")
    guid = item.find("guid")
    assert guid.get("isPermaLink") == "false" and guid.text == f"urn:uuid:{rich['id']}"
    content = item.find("{http://purl.org/rss/1.0/modules/content/}encoded").text
    fragment = etree.fromstring(f"<div>{content}</div>", etree.HTMLParser())
    hrefs = fragment.xpath("//li/a/@href")
    assert hrefs == [r["url"] for r in rich["related"]]
    media = item.find("{http://search.yahoo.com/mrss/}content")
    assert media.get("url") == "https://example.org/bilder/glas.jpg"
    assert parse(response).feed.language == "de"


def test_json_feed_is_version_1_1(client, rich):
    response = client.get("/feeds/feed.json")
    assert response.headers["Content-Type"] == "application/feed+json; charset=utf-8"
    assert (
        client.get(
            "/feeds/feed.json", headers={"If-None-Match": response.headers["ETag"]}
        ).status_code
        == 304
    )
    feed = json.loads(response.data)
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["home_page_url"] == "http://localhost/"
    assert feed["feed_url"] == "http://localhost/feeds/feed.json"
    item = feed["items"][0]
    assert item["id"] == f"urn:uuid:{rich['id']}"
    assert item["title"] == rich["headline"]
    assert item["image"] == "https://example.org/bilder/glas.jpg"
    assert "https://example.org/museum" in item["content_html"]
    assert item["date_published"] == "2026-11-20T08:30:00Z"
    assert {"kultur", "Ausstellung", "Glas"} <= set(item["tags"])


def test_filters_limit_and_bad_parameters(client, create):
    create(section="sport", tags=["Fußball"])
    create(section="politik", tags=["Haushalt"], language="en-GB")
    for i in range(3):
        create(section="politik", published_at=f"2026-11-0{i + 1}T10:00:00Z")
    assert len(parse(client.get("/feeds/rss.xml?section=sport")).entries) == 1
    assert len(parse(client.get("/feeds/atom.xml?tag=fussball")).entries) == 1
    assert len(parse(client.get("/feeds/atom.xml?language=en")).entries) == 1
    assert len(parse(client.get("/feeds/rss.xml?limit=2")).entries) == 2
    for bad in ("limit=0", "limit=101", "section=Not%20A%20Slug", "language=@@"):
        response = client.get(f"/feeds/rss.xml?{bad}")
        assert response.status_code == 400, bad
        assert response.mimetype == "application/problem+json"


def test_edits_and_deletions_show_on_the_next_request(client, auth, create):
    article = create()
    first = client.get("/feeds/atom.xml")
    etag = client.get(f"/v1/articles/{article['id']}").headers["ETag"]
    client.patch(
        f"/v1/articles/{article['id']}",
        json={"headline": "Korrigiert"},
        headers={**auth, "If-Match": etag},
    )
    response = client.get("/feeds/atom.xml", headers={"If-None-Match": first.headers["ETag"]})
    entries = parse(response).entries
    assert [e.title for e in entries] == ["Korrigiert"]
    assert entries[0].id == f"urn:uuid:{article['id']}"  # the id survives the edit
    etag = client.get(f"/v1/articles/{article['id']}").headers["ETag"]
    client.delete(f"/v1/articles/{article['id']}", headers={**auth, "If-Match": etag})
    assert parse(client.get("/feeds/atom.xml")).entries == []


def test_scheduled_article_enters_feed_at_its_instant_and_max_age_is_clipped(client, create):
    create(headline="Schon da")
    soon = datetime.now(UTC) + timedelta(seconds=2)
    create(headline="Geplant", published_at=soon.isoformat())
    response = client.get("/feeds/rss.xml")
    assert [e.title for e in parse(response).entries] == ["Schon da"]
    lifetimes = cache_control(response)
    assert lifetimes["max-age"] <= 2
    assert lifetimes["s-maxage"] + lifetimes.get("stale-while-revalidate", 0) <= 1
    time.sleep(max(0.0, (soon - datetime.now(UTC)).total_seconds()) + 0.05)
    assert [e.title for e in parse(client.get("/feeds/rss.xml")).entries] == ["Geplant", "Schon da"]


def cache_control(response) -> dict[str, int]:
    """The lifetimes in a Cache-Control header, in seconds."""
    directives = (d.strip().partition("=") for d in response.headers["Cache-Control"].split(","))
    return {name: int(value) for name, _, value in directives if value}


def test_empty_feeds_are_valid(client):
    for path in XML_FEEDS:
        assert parse(client.get(path)).entries == []
    assert json.loads(client.get("/feeds/feed.json").data)["items"] == []


def test_same_content_gives_identical_bytes(client, rich, app):
    first = client.get("/feeds/atom.xml").data
    app.extensions["render_cache"].clear()
    assert client.get("/feeds/atom.xml").data == first


# --- property: arbitrary Unicode in, well-formed feeds out --------------------------------

XML_SAFE = st.characters(
    blacklist_categories=("Cs",),
    blacklist_characters="\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f\x10\x11\x12"
    "\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f\r",
)
TRICKY = st.sampled_from(
    ["]]>", "&", "<", "&amp;", "שלום", "👩‍👩‍👧", "e\u0301", "\u202e", "<![CDATA["]
)
TEXT = st.lists(st.one_of(TRICKY, st.text(XML_SAFE, max_size=8)), min_size=1, max_size=8).map(
    "".join
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(headline=TEXT, lead=TEXT, paragraph=TEXT, tag=TEXT)
def test_any_valid_text_gives_well_formed_feeds(client, auth, headline, lead, paragraph, tag):
    response = client.post(
        "/v1/articles",
        headers=auth,
        json={
            "headline": headline,
            "lead": lead,
            "body_text": paragraph,
            "tags": [tag],
            "status": "published",
            "published_at": "2026-01-01T00:00:00Z",
            "related": [{"url": "https://example.org/x", "title": headline}],
        },
    )
    if response.status_code == 422:
        return  # refused at write time (empty after trimming, control characters…)
    assert response.status_code == 201, response.get_json()
    article = response.get_json()
    rss = client.get("/feeds/rss.xml")
    root = etree.fromstring(rss.data)  # well-formed, or this raises
    assert article["headline"] in root.xpath("//item/title/text()")
    assert len(parse(rss).entries) == len(root.xpath("//item"))
    # RSS titles are ambiguous (text or HTML?) and feedparser guesses; Atom says "text"
    atom = client.get("/feeds/atom.xml")
    etree.fromstring(atom.data)
    assert article["headline"] in [e.title for e in parse(atom).entries]
    feed = json.loads(client.get("/feeds/feed.json").data)
    assert article["headline"] in [item["title"] for item in feed["items"]]


def test_render_functions_are_pure():
    moment = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)
    article = {
        "id": "6f1c1b8e-2f7a-4a8e-9a57-1f3f5f0c8b11",
        "slug": "a",
        "url": "https://n.example/a",
        "headline": "A",
        "lead": "B",
        "body": "<p>C</p>",
        "body_text": "C",
        "related": [],
        "language": "de",
        "section": None,
        "tags": [],
        "authors": [],
        "image": None,
        "status": "published",
        "published_at": moment,
        "created_at": moment,
        "updated_at": moment,
        "version": 1,
    }
    channel = {
        "title": "T",
        "description": "D",
        "home_url": "https://n.example/",
        "self_url": "https://n.example/feeds/x",
        "language": "de",
        "updated": moment,
        "publisher": "N",
    }
    for render in (render_rss, render_atom, render_json_feed):
        assert render([article], channel) == render([article], channel)


def test_urls_with_characters_a_uri_cannot_hold_are_percent_encoded(client, create):
    """A link written with `<`, `|`, `"`, `[` or a lone `%` (browsers take them) reaches the
    feeds as a valid URI: the W3C validator rejects such characters in Atom hrefs."""
    written = 'https://example.org/a/b?x=<1>|{2}&y="3"^`\\[4]%zz#f'
    article = create(
        related=[{"url": written, "title": "Odd"}],
        image={"url": "https://img.example.org/p.jpg?a=<b>", "alt": "alt"},
        canonical_url="https://example.org/story|1",
    )
    encoded = "https://example.org/a/b?x=%3C1%3E%7C%7B2%7D&y=%223%22%5E%60%5C%5B4%5D%25zz#f"
    assert article["related"][0]["url"] == encoded
    assert article["image"]["url"] == "https://img.example.org/p.jpg?a=%3Cb%3E"
    assert article["url"] == "https://example.org/story%7C1"
    root = etree.fromstring(client.get("/feeds/atom.xml").data)
    hrefs = root.xpath("//a:entry/a:link/@href", namespaces={"a": ATOM[1:-1]})
    assert encoded in hrefs and "https://example.org/story%7C1" in hrefs
    assert all(set(href) <= URI_CHARACTERS for href in hrefs), hrefs


URI_CHARACTERS = set(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789;/?:@&=+$.-_!~*'()%,#"
)
