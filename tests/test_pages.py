"""The two HTML pages: readable without JavaScript, and they advertise the feeds."""

from __future__ import annotations

from lxml import html


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
