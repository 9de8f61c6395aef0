"""The two HTML pages: readable without JavaScript, and they advertise the feeds."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from lxml import etree, html

from api import config


def alternates(document) -> set[tuple[str, str]]:
    return {
        (link.get("type"), link.get("href"))
        for link in document.xpath("//head/link[@rel='alternate']")
    }


FEED_LINKS = {
    ("application/rss+xml", "http://localhost/feeds/rss.xml"),
    ("application/atom+xml", "http://localhost/feeds/atom.xml"),
    ("application/feed+json", "http://localhost/feeds/feed.json"),
}


def test_index_lists_newest_articles_with_feed_autodiscovery(client, create):
    create(headline="Ältere Meldung", published_at="2026-11-01T10:00:00Z")
    create(headline="Neue Meldung")
    create(headline="Entwurf", status="draft")
    response = client.get("/")
    assert response.status_code == 200 and response.mimetype == "text/html"
    document = html.fromstring(response.data)
    assert alternates(document) == FEED_LINKS
    assert document.xpath("//article/h2/a/text()") == ["Neue Meldung", "Ältere Meldung"]


def test_article_page_shows_everything_and_escapes_text(client, create):
    target = create(headline="Vorgeschichte")
    article = create(
        headline="Wer <b>fett</b> schreibt",
        body="<p>Ein <strong>starker</strong> Absatz.</p>",
        image={"url": "https://example.org/b.jpg", "alt": "Ein Bild", "caption": "Bildtext"},
        related=[{"article": target["id"]}],
    )
    response = client.get(f"/articles/{article['slug']}")
    assert response.status_code == 200
    document = html.fromstring(response.data)
    assert document.xpath("string(//h1)") == "Wer <b>fett</b> schreibt"
    assert document.xpath("//article//strong/text()") == ["starker"]
    assert document.xpath("//figure/img/@alt") == ["Ein Bild"]
    assert document.xpath("//article//li/a/@href") == [target["url"]]
    assert alternates(document) == FEED_LINKS
    assert client.get(article["url"].replace("http://localhost", "")).status_code == 200


def test_unknown_or_draft_article_page_is_html_404(client, create):
    draft = create(status="draft")
    for path in ("/articles/gibt-es-nicht", f"/articles/{draft['slug']}"):
        response = client.get(path)
        assert response.status_code == 404
        assert response.mimetype == "text/html"


def test_an_html_error_page_is_never_stored(client, auth, create):
    """Like every problem+json answer: a CDN that keeps a 404 without Cache-Control (Fastly
    does, for an hour) would show a scheduled article's page as missing long after its instant."""
    scheduled = create(published_at="2099-01-01T00:00:00Z")
    gone = create()
    client.delete(f"/v1/articles/{gone['id']}", headers={**auth, "If-Match": "*"})
    for path, status in (
        (f"/articles/{scheduled['slug']}", 404),
        (f"/articles/{gone['slug']}", 410),
        ("/tags/gibt-es-nicht", 404),
        ("/?cursor=abc", 400),
    ):
        response = client.get(path)
        assert response.status_code == status, path
        assert response.headers.get("Cache-Control") == "no-store", path


# --- metadata for crawlers and link previews -------------------------------------------------


def metadata(response) -> tuple[dict, dict, list]:
    """(JSON-LD, OpenGraph, canonical links) as a crawler reads them from the page."""
    assert response.status_code == 200
    document = html.fromstring(response.data)
    scripts = document.xpath("//script")
    assert [s.get("type") for s in scripts] == ["application/ld+json"]  # nothing else, ever
    graph: dict[str, list[str]] = {}
    for meta in document.xpath("//head/meta[@property]"):
        graph.setdefault(meta.get("property"), []).append(meta.get("content"))
    canonical = document.xpath("//head/link[@rel='canonical']/@href")
    return json.loads(scripts[0].text), graph, canonical


def test_article_page_carries_canonical_open_graph_and_news_article(client, create):
    article = create(
        published_at="2026-11-28T12:47:00Z",
        authors=[
            {"name": "Jana Beispiel"},
            {"name": "Lea Winter", "url": "https://example.org/autoren/lea-winter"},
        ],
        image={
            "url": "https://example.org/b.jpg",
            "alt": "Der Ratssaal",
            "caption": "Die Sitzung",
            "credit": "Foto: Stadt",
        },
    )
    ld, graph, canonical = metadata(client.get(f"/articles/{article['slug']}"))
    assert canonical == [article["url"]]
    assert ld["@context"] == "https://schema.org" and ld["@type"] == "NewsArticle"
    assert ld["headline"] == article["headline"]
    assert ld["description"] == article["lead"]
    assert ld["datePublished"] == "2026-11-28T13:47:00+01:00"  # Europe/Berlin
    modified = datetime.fromisoformat(ld["dateModified"])
    assert modified.utcoffset() == timedelta(hours=1)
    updated = datetime.fromisoformat(article["updated_at"].replace("Z", "+00:00"))
    assert modified == updated.replace(microsecond=0)
    assert [(a["@type"], a["name"], a["url"]) for a in ld["author"]] == [
        ("Person", "Jana Beispiel", "http://localhost/authors/jana-beispiel"),
        ("Person", "Lea Winter", "https://example.org/autoren/lea-winter"),
    ]
    assert ld["image"][0]["url"] == "https://example.org/b.jpg"
    assert ld["publisher"]["@type"] == "Organization" and ld["publisher"]["name"] == "Newswire"
    assert ld["mainEntityOfPage"]["@id"] == article["url"]
    assert ld["articleSection"] == "Politik"
    assert graph["og:type"] == ["article"]
    assert graph["og:title"] == [article["headline"]]
    assert graph["og:description"] == [article["lead"]]
    assert graph["og:url"] == [article["url"]]
    assert graph["og:image"] == ["https://example.org/b.jpg"]
    assert graph["og:image:alt"] == ["Der Ratssaal"]
    assert graph["article:published_time"] == ["2026-11-28T13:47:00+01:00"]
    assert graph["article:tag"] == ["Haushalt", "Stadtrat"]
    assert graph["article:section"] == ["Politik"]


def test_canonical_url_when_set_is_the_canonical_link(client, create):
    article = create(canonical_url="https://partner.example.org/haushalt")
    ld, graph, canonical = metadata(client.get(f"/articles/{article['slug']}"))
    assert canonical == ["https://partner.example.org/haushalt"]
    assert graph["og:url"] == ["https://partner.example.org/haushalt"]
    assert ld["url"] == "https://partner.example.org/haushalt"


def test_hostile_text_cannot_break_out_of_json_ld_or_attributes(client, create):
    hostile = "</script><script>alert(1)</script><!-- & \" ' </SCRIPT >"
    tag = "</script><!-- & Tag"
    article = create(headline=hostile, lead=hostile, authors=[{"name": hostile}], tags=[tag])
    response = client.get(f"/articles/{article['slug']}")
    ld, graph, _ = metadata(response)  # exactly one script element, still valid JSON
    assert ld["headline"] == hostile and ld["description"] == hostile
    assert ld["author"][0]["name"] == hostile and ld["keywords"] == [tag]
    assert graph["og:title"] == [hostile] and graph["article:tag"] == [tag]
    assert b"</script><script>" not in response.data
    assert html.fromstring(response.data).xpath("string(//h1)") == hostile


def test_empty_authors_make_the_publisher_the_author(client, create):
    article = create(authors=[])
    ld, _, _ = metadata(client.get(f"/articles/{article['slug']}"))
    assert ld["author"] == [ld["publisher"]]


# --- times, names and links --------------------------------------------------------------------


def shown_time(client, article) -> tuple[str, str]:
    document = html.fromstring(client.get(f"/articles/{article['slug']}").data)
    time_element = document.xpath("//article//p[@class='meta']/time")[0]
    return time_element.text, time_element.get("datetime")


def test_times_are_shown_in_the_site_time_zone_in_german(client, create, app):
    winter = create(published_at="2026-11-28T12:47:00Z")
    summer = create(published_at="2026-07-01T07:05:00Z")
    assert shown_time(client, winter)[0] == "28. November 2026, 13:47 Uhr"
    assert datetime.fromisoformat(shown_time(client, winter)[1]) == datetime(
        2026, 11, 28, 12, 47, tzinfo=UTC
    )
    assert shown_time(client, summer)[0] == "1. Juli 2026, 9:05 Uhr"  # CEST, +02:00
    app.config["SITE_TIMEZONE"] = "America/New_York"
    app.extensions["render_cache"].clear()
    assert shown_time(client, winter)[0] == "28. November 2026, 7:47 Uhr"


def test_settings_are_checked_at_start_up():
    assert config.time_zone("Europe/Vienna") == "Europe/Vienna"
    with pytest.raises(ValueError, match="SITE_TIMEZONE"):
        config.time_zone("Mars/Olympus_Mons")
    assert config.section_names('{"us-wahl": "US-Wahl"}')["us-wahl"] == "US-Wahl"
    assert config.section_names("{}")["politik"] == "Politik"
    for bad in ("[1]", "{", '{"a": 1}'):
        with pytest.raises(ValueError, match="SECTION_NAMES"):
            config.section_names(bad)


def test_section_names_come_from_the_mapping_or_the_slug(client, create, app):
    create(section="us-wahl", headline="Wahlabend")
    document = html.fromstring(client.get("/").data)
    assert document.xpath("//article//p[@class='meta']/a[last()]/text()") == ["Us wahl"]
    app.config["SECTION_NAMES"] = {**app.config["SECTION_NAMES"], "us-wahl": "US-Wahl"}
    app.extensions["render_cache"].clear()
    document = html.fromstring(client.get("/sections/us-wahl").data)
    assert document.xpath("string(//h1)") == "US-Wahl"
    assert document.xpath("//article//p[@class='meta']/a[last()]/text()") == ["US-Wahl"]


def listed(client, path: str) -> tuple[str, list[str]]:
    response = client.get(path)
    assert response.status_code == 200 and response.mimetype == "text/html", path
    document = html.fromstring(response.data)
    return document.xpath("string(//h1)"), document.xpath("//article/h2/a/text()")


def test_tags_sections_and_authors_link_to_pages_that_list_them(client, create):
    article = create(
        headline="Haushalt beschlossen",
        tags=["Haushalt", "Köln"],
        authors=[{"name": "Jörg Müller"}],
    )
    create(headline="Anderes Thema", section="sport", tags=["Fußball"], authors=[{"name": "X Y"}])
    document = html.fromstring(client.get(f"/articles/{article['slug']}").data)
    links = {a.text: a.get("href") for a in document.xpath("//article//a")}
    assert links["Politik"] == "/sections/politik"
    assert links["Köln"] == "/tags/koeln"
    assert links["Jörg Müller"] == "/authors/joerg-mueller"
    assert listed(client, links["Politik"]) == ("Politik", ["Haushalt beschlossen"])
    assert listed(client, links["Köln"]) == ("Thema: Köln", ["Haushalt beschlossen"])
    assert listed(client, links["Jörg Müller"]) == ("Von Jörg Müller", ["Haushalt beschlossen"])
    for path in ("/sections/kultur", "/tags/gibt-es-nicht", "/authors/niemand", "/tags/Köln"):
        response = client.get(path)
        assert response.status_code == 404 and response.mimetype == "text/html", path


def test_index_pages_through_every_article_with_the_cursor(client, create):
    made = [
        create(headline=f"Meldung {i}", published_at=f"2026-11-{i + 1:02d}T10:00:00Z")
        for i in range(23)
    ]
    response = client.get("/")
    document = html.fromstring(response.data)
    first = document.xpath("//article/h2/a/text()")
    assert len(first) == 20
    next_link = document.xpath("//head/link[@rel='next']/@href")
    assert next_link == document.xpath("//nav//a[@rel='next']/@href") and len(next_link) == 1
    document = html.fromstring(client.get(next_link[0].removeprefix("http://localhost")).data)
    second = document.xpath("//article/h2/a/text()")
    assert first + second == [a["headline"] for a in reversed(made)]
    assert document.xpath("//head/link[@rel='next']") == []
    assert document.xpath("//nav//a/@href") == ["http://localhost/"]  # back to the newest
    response = client.get("/?cursor=" + next_link[0].split("cursor=")[1][:-2] + "xx")
    assert response.status_code == 400 and response.mimetype == "text/html"


def test_favicon_is_our_own_svg(client):
    document = html.fromstring(client.get("/").data)
    href = document.xpath("//head/link[@rel='icon']/@href")
    assert len(href) == 1
    response = client.get(href[0])
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert etree.fromstring(response.data).tag == "{http://www.w3.org/2000/svg}svg"


@pytest.mark.parametrize("path", ["/", "/sections/politik", "/tags/koeln", "/authors/jan"])
def test_an_overlong_cursor_is_an_html_400_on_every_listing_page(client, path):
    response = client.get(path + "?cursor=" + "x" * 600)
    assert response.status_code == 400 and response.mimetype == "text/html"
