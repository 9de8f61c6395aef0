"""Sitemaps and robots.txt, as crawlers read them: every document checked against the
sitemaps.org XSDs (and our own XSD of Google's news sitemap tags) with lxml; see
tests/schemas/sitemaps/."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from lxml import etree

from api import sitemaps

SCHEMAS = Path(__file__).parent / "schemas" / "sitemaps"
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"
COMBINED = b"""<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema">
  <xsd:import namespace="http://www.sitemaps.org/schemas/sitemap/0.9" schemaLocation="sitemap.xsd"/>
  <xsd:import namespace="http://www.google.com/schemas/sitemap-news/0.9"
              schemaLocation="news-sitemap.xsd"/>
</xsd:schema>"""


def schema(name: str) -> etree.XMLSchema:
    if name == "news":  # urlset (sitemap.xsd) with Google News elements inside each url
        return etree.XMLSchema(etree.fromstring(COMBINED, base_url=f"{SCHEMAS}/"))
    return etree.XMLSchema(etree.parse(str(SCHEMAS / name)))


def valid(response, name: str):
    """The parsed document, after checking status, content type and the XSD."""
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    root = etree.fromstring(response.data)
    xsd = schema(name)
    assert xsd.validate(root), xsd.error_log
    return root


def path_of(url: str) -> str:
    assert url.startswith("http://localhost/")
    return url.removeprefix("http://localhost")


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def ago(**delta) -> str:
    return (datetime.now(UTC) - timedelta(**delta)).isoformat()


def walk(client) -> dict[str, str]:
    """Every URL with its lastmod, from the index down through each article sitemap."""
    index = valid(client.get("/sitemap.xml"), "siteindex.xsd")
    found: dict[str, str] = {}
    for loc in index.findall(f"{SM}sitemap/{SM}loc"):
        if loc.text.endswith("/sitemaps/news.xml"):
            continue
        response = client.get(path_of(loc.text))
        if len(etree.fromstring(response.data)) == 0:  # the XSD wants one url; see below
            continue
        urlset = valid(response, "sitemap.xsd")
        for url in urlset.findall(f"{SM}url"):
            assert url.findtext(f"{SM}loc") not in found  # each article on one day only
            found[url.findtext(f"{SM}loc")] = url.findtext(f"{SM}lastmod")
    return found


def test_index_and_day_sitemaps_list_exactly_the_published_articles(client, auth, create):
    published = [
        create(published_at="2026-11-20T09:30:00+01:00"),
        create(published_at="2026-11-20T23:30:00+01:00"),
        create(published_at="2026-11-21T00:30:00+01:00"),  # still 20 November in UTC
        create(published_at="2026-11-02T10:00:00Z"),
        create(published_at=ago(hours=1)),
    ]
    create(status="draft", published_at="2026-11-03T10:00:00Z")
    create(published_at=(datetime.now(UTC) + timedelta(days=2)).isoformat())  # scheduled
    create(canonical_url="https://partner.example.org/a", published_at="2026-11-04T10:00:00Z")
    gone = create(published_at="2026-10-01T10:00:00Z")
    etag = client.get(f"/v1/articles/{gone['id']}").headers["ETag"]
    assert (
        client.delete(f"/v1/articles/{gone['id']}", headers={**auth, "If-Match": etag}).status_code
        == 204
    )

    index = valid(client.get("/sitemap.xml"), "siteindex.xsd")
    today = datetime.now(UTC) - timedelta(hours=1)
    assert [loc.text for loc in index.findall(f"{SM}sitemap/{SM}loc")] == [
        "http://localhost/sitemaps/news.xml",
        f"http://localhost/sitemaps/articles-{today.date().isoformat()}.xml",
        "http://localhost/sitemaps/articles-2026-11-20.xml",
        "http://localhost/sitemaps/articles-2026-11-04.xml",  # lists no URL (below)
        "http://localhost/sitemaps/articles-2026-11-02.xml",
    ]
    found = walk(client)
    assert set(found) == {a["url"] for a in published}
    for article in published:
        assert moment(found[article["url"]]) == moment(article["updated_at"])
    # that day's only article has its canonical_url on another site: listed there, not here
    partner = etree.fromstring(client.get("/sitemaps/articles-2026-11-04.xml").data)
    assert partner.tag == f"{SM}urlset" and len(partner) == 0
    day = valid(client.get("/sitemaps/articles-2026-11-20.xml"), "sitemap.xsd")
    assert [u.text for u in day.findall(f"{SM}url/{SM}loc")] == [
        published[2]["url"],
        published[1]["url"],
        published[0]["url"],
    ]


def test_day_sitemap_reads_every_page_of_the_list(client, create, monkeypatch):
    monkeypatch.setattr(sitemaps, "PAGE", 2)
    made = [create(published_at=f"2026-11-20T0{i}:00:00Z") for i in range(5)]
    assert set(walk(client)) == {a["url"] for a in made}


def test_news_sitemap_has_the_last_48_hours_with_publication_and_title(client, create):
    create(headline="Zu alt", published_at=ago(hours=49))
    fresh = create(
        headline="Wer <b>fett</b> schreibt & ]]> </script>",
        language="de-AT",
        published_at=ago(hours=2),
    )
    english = create(headline="In English", language="en-GB", published_at=ago(hours=1))
    root = valid(client.get("/sitemaps/news.xml"), "news")
    urls = root.findall(f"{SM}url")
    assert [u.findtext(f"{SM}loc") for u in urls] == [english["url"], fresh["url"]]
    news = urls[1].find(f"{NEWS}news")
    assert news.findtext(f"{NEWS}publication/{NEWS}name") == "Newswire"
    assert news.findtext(f"{NEWS}publication/{NEWS}language") == "de"
    assert news.findtext(f"{NEWS}title") == fresh["headline"]
    assert moment(news.findtext(f"{NEWS}publication_date")) == moment(fresh["published_at"])
    assert urls[0].findtext(f"{NEWS}news/{NEWS}publication/{NEWS}language") == "en"


@pytest.mark.parametrize(
    ("tag", "expected"),
    [("de", "de"), ("de-AT", "de"), ("gsw", "gsw"), ("zh-Hant-TW", "zh-tw"), ("zh-CN", "zh-cn")],
)
def test_news_language_codes(tag, expected):
    assert sitemaps.news_language(tag) == expected


def test_robots_txt_names_the_sitemaps_on_the_public_address(client, app):
    response = client.get("/robots.txt")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    assert "Sitemap: http://localhost/sitemap.xml" in response.text.splitlines()
    assert "Sitemap: http://localhost/sitemaps/news.xml" in response.text.splitlines()
    app.config["PUBLIC_BASE_URL"] = "https://news.example.org"
    lines = client.get("/robots.txt").text.splitlines()
    assert "Sitemap: https://news.example.org/sitemap.xml" in lines


def test_sitemaps_answer_304_and_change_with_the_next_write(client, create):
    create(published_at="2026-11-20T09:30:00Z")
    for path in ("/sitemap.xml", "/sitemaps/articles-2026-11-20.xml", "/robots.txt"):
        response = client.get(path)
        assert response.headers["Cache-Control"] == "public, max-age=60, s-maxage=1"
        assert response.headers["Last-Modified"]
        again = client.get(path, headers={"If-None-Match": response.headers["ETag"]})
        assert again.status_code == 304 and again.headers["ETag"] == response.headers["ETag"]
    first = client.get("/sitemap.xml")
    create(published_at="2026-11-05T09:30:00Z")
    response = client.get("/sitemap.xml", headers={"If-None-Match": first.headers["ETag"]})
    assert response.status_code == 200
    root = valid(response, "siteindex.xsd")
    assert "http://localhost/sitemaps/articles-2026-11-05.xml" in [
        loc.text for loc in root.findall(f"{SM}sitemap/{SM}loc")
    ]


@pytest.mark.parametrize(
    "path",
    [
        "/sitemaps/articles-2026-11-19.xml",  # no article that day
        "/sitemaps/articles-2026-13-01.xml",
        "/sitemaps/articles-20261120.xml",
        "/sitemaps/articles-x.xml",
    ],
)
def test_unknown_day_sitemaps_are_404(client, create, path):
    create(published_at="2026-11-20T09:30:00Z")
    assert client.get(path).status_code == 404


def test_the_first_and_last_days_of_the_calendar(client, create):
    """Their day's window reaches past what a datetime holds: it was a 500, for anyone. An
    article may be dated on the first day, and that day's sitemap lists it."""
    first = create(published_at="0001-01-01T00:00:00Z")
    index = valid(client.get("/sitemap.xml"), "siteindex.xsd")
    assert "http://localhost/sitemaps/articles-0001-01-01.xml" in [
        loc.text for loc in index.findall(f"{SM}sitemap/{SM}loc")
    ]
    day = valid(client.get("/sitemaps/articles-0001-01-01.xml"), "sitemap.xsd")
    assert [loc.text for loc in day.findall(f"{SM}url/{SM}loc")] == [first["url"]]
    assert client.get("/sitemaps/articles-9999-12-31.xml").status_code == 404


def test_empty_site_has_well_formed_sitemaps(client):
    index = etree.fromstring(client.get("/sitemap.xml").data)
    assert index.tag == f"{SM}sitemapindex" and len(index) == 0
    news = etree.fromstring(client.get("/sitemaps/news.xml").data)
    assert news.tag == f"{SM}urlset" and len(news) == 0
