"""Feed archives (RFC 5005) as a subscriber walks them: feedparser from the subscription
document back to the first article, for RSS, Atom and JSON Feed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import feedparser
import pytest
from lxml import etree

from api.storage import archive, listing

FH = "{http://purl.org/syndication/history/1.0}"
ATOM = "{http://www.w3.org/2005/Atom}"
FORMATS = ("rss.xml", "atom.xml", "feed.json")


def at(moment: datetime) -> str:
    return moment.isoformat()


@pytest.fixture
def published(app, client, auth, create):
    """Visible articles over several days (one day busier than a page), and articles that must
    never appear: a draft, a scheduled one, a deleted one and an unpublished one.
    Returns {id: section} of the visible ones."""
    app.config["ARCHIVE_PAGE_SIZE"] = 2
    now = datetime.now(UTC)
    noon = now.replace(hour=12, minute=0)
    moments = [now - timedelta(minutes=m) for m in (1, 2, 3)]  # today: more than a page
    moments += [noon - timedelta(days=2, minutes=m) for m in range(5)]  # a busy day
    moments += [now - timedelta(days=9), now - timedelta(days=30), now - timedelta(days=400)]
    visible = {}
    for i, moment in enumerate(moments):
        section = "politik" if i % 2 else "sport"
        visible[create(headline=f"Meldung {i}", section=section, published_at=at(moment))["id"]] = (
            section
        )
    create(headline="Entwurf", status="draft", published_at=at(now - timedelta(days=2)))
    create(headline="Geplant", published_at=at(now + timedelta(hours=2)))
    for headline, action in (("Gelöscht", "delete"), ("Zurückgezogen", "unpublish")):
        article = create(headline=headline, published_at=at(now - timedelta(days=2, hours=1)))
        etag = client.get(f"/v1/articles/{article['id']}").headers["ETag"]
        headers = {**auth, "If-Match": etag}
        if action == "delete":
            assert (
                client.delete(f"/v1/articles/{article['id']}", headers=headers).status_code == 204
            )
        else:
            response = client.patch(
                f"/v1/articles/{article['id']}", json={"status": "draft"}, headers=headers
            )
            assert response.status_code == 200
    return visible


def max_age(response) -> int:
    """The browsers' lifetime (shared caches get their own short s-maxage)."""
    directives = response.headers["Cache-Control"].split(", ")
    return int(next(d for d in directives if d.startswith("max-age="))[len("max-age=") :])


def local(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


def links(response, name: str) -> dict[str, str]:
    """The document's RFC 5005 links, as a reader's parser sees them."""
    if name == "feed.json":
        document = response.get_json()
        return {"prev-archive": document["next_url"]} if "next_url" in document else {}
    parsed = feedparser.parse(
        response.data, response_headers={"content-type": response.headers["Content-Type"]}
    )
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    return {link["rel"]: link["href"] for link in parsed.feed.links}


def ids(response, name: str) -> list[str]:
    if name == "feed.json":
        items = response.get_json()["items"]
    else:
        items = feedparser.parse(response.data).entries
    return [item["id"].removeprefix("urn:uuid:") for item in items]


def is_marked_archive(response, name: str) -> bool:
    root = etree.fromstring(response.data)
    parent = root.find("channel") if name == "rss.xml" else root
    return parent.find(f"{FH}archive") is not None


def walk(client, name: str, query: str = "") -> tuple[list[str], list]:
    """Every id from the subscription document back through prev-archive, and the archive
    documents' responses."""
    response = client.get(f"/feeds/{name}?limit=2{query}")
    assert response.status_code == 200
    seen, archives = ids(response, name), []
    older = links(response, name).get("prev-archive")
    while older:
        assert len(archives) < 50, "the walk does not end"
        response = client.get(local(older))
        assert response.status_code == 200, response.data
        if name != "feed.json":
            assert links(response, name)["self"] == older  # the address it was reached by
        else:
            assert response.get_json()["feed_url"] == older
        archives.append(response)
        seen += ids(response, name)
        older = links(response, name).get("prev-archive")
    return seen, archives


@pytest.mark.parametrize("name", FORMATS)
def test_walking_back_from_the_subscription_collects_exactly_the_published_set(
    client, published, name
):
    seen, archives = walk(client, name)
    assert set(seen) == set(published)
    assert len(archives) >= 6  # today's rest, the busy day in three pages, two older days
    for response in archives:
        assert max_age(response) == 86400  # never cut short by the scheduled article
        if name != "feed.json":
            assert is_marked_archive(response, name)
            assert links(response, name)["current"].endswith(f"/feeds/{name}")


@pytest.mark.parametrize("name", FORMATS)
def test_a_filtered_feed_walks_back_through_its_own_archive(client, published, name):
    seen, archives = walk(client, name, "&section=politik")
    assert set(seen) == {i for i, section in published.items() if section == "politik"}
    for response in archives:
        assert parse_qs(urlsplit(response.request.url).query)["section"] == ["politik"]
        if name != "feed.json":
            assert local(links(response, name)["current"]) == f"/feeds/{name}?section=politik"


def test_a_closed_page_does_not_change_when_articles_are_added(client, published, create):
    day = (datetime.now(UTC) - timedelta(days=2)).date().isoformat()
    before = client.get(f"/feeds/archive/{day}/atom.xml")
    assert len(ids(before, "atom.xml")) == 2 and is_marked_archive(before, "atom.xml")
    assert "prev-archive" in links(before, "atom.xml")  # the day continues after a cursor
    create(headline="Neu", published_at=at(datetime.now(UTC)))
    after = client.get(f"/feeds/archive/{day}/atom.xml")
    assert after.data == before.data and after.headers["ETag"] == before.headers["ETag"]
    again = client.get(
        f"/feeds/archive/{day}/atom.xml", headers={"If-None-Match": after.headers["ETag"]}
    )
    assert again.status_code == 304


def test_archive_pages_link_forward_and_today_is_not_yet_an_archive(client, published):
    now = datetime.now(UTC)
    oldest = client.get(f"/feeds/archive/{(now - timedelta(days=400)).date()}/atom.xml")
    assert "prev-archive" not in links(oldest, "atom.xml")
    newer = links(oldest, "atom.xml")["next-archive"]
    assert (now - timedelta(days=30)).date().isoformat() in newer
    assert ids(client.get(local(newer)), "atom.xml")
    today = client.get(f"/feeds/archive/{now.date()}/rss.xml")
    assert not is_marked_archive(today, "rss.xml")
    assert max_age(today) == 60
    assert "next-archive" not in links(today, "rss.xml")


def test_an_empty_day_is_an_empty_archive_that_still_links_back(client, published):
    day = (datetime.now(UTC) - timedelta(days=5)).date()
    response = client.get(f"/feeds/archive/{day}/feed.json")
    assert response.get_json()["items"] == []
    assert (datetime.now(UTC) - timedelta(days=9)).date().isoformat() in response.get_json()[
        "next_url"
    ]


@pytest.mark.parametrize(
    "path,status",
    [
        ("/feeds/archive/2999-01-01/atom.xml", 404),  # not begun
        ("/feeds/archive/2026-13-01/atom.xml", 404),
        ("/feeds/archive/20261101/atom.xml", 404),
        ("/feeds/archive/2026-11-01/atom.xml?cursor=nonsense", 400),
        ("/feeds/archive/2026-11-01/atom.xml?section=Not%20A%20Slug", 400),
    ],
)
def test_bad_archive_addresses_are_problems(client, path, status):
    response = client.get(path)
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize("oldest_first", [False, True])
@pytest.mark.parametrize(
    "filters", [{}, {"section": "politik"}, {"tag": ["Haushalt"]}, {"language": "de"}]
)
def test_an_archive_page_and_its_neighbours_read_an_index_in_order(app, filters, oldest_first):
    """The same cost at any depth: no scan, no sort, no OFFSET, whatever the day."""
    store = app.extensions["store"]
    if store.is_postgres:
        pytest.skip("SQLite's plan; PostgreSQL plans by table statistics")
    start = datetime(2020, 3, 1, tzinfo=UTC)
    query = {
        **filters,
        "published_from": start,
        "published_before": start + timedelta(days=1),
        "cursor": store.encode_cursor(start + timedelta(hours=12), "x"),
    }
    now = datetime.now(UTC)
    sql, params = listing.list_sql(store.db, store.cursors, query, 100, now, oldest_first)
    assert "OFFSET" not in sql
    plan = [row[-1] for row in store._query("EXPLAIN QUERY PLAN " + sql, params)]
    assert "USING" in plan[0] and "INDEX" in plan[0], plan
    assert not any("SCAN" in step or "TEMP B-TREE" in step for step in plan), plan


def test_the_tombstones_read_the_deletions_index_newest_first(app):
    store = app.extensions["store"]
    if store.is_postgres:
        pytest.skip("SQLite's plan; PostgreSQL plans by table statistics")
    filters = {"section": "politik", "tag": ["Rat"], "language": "de"}
    sql, params = archive.deletions_sql(store.db, filters, datetime.now(UTC), 100)
    plan = [row[-1] for row in store._query("EXPLAIN QUERY PLAN " + sql, params)]
    assert "INDEX ix_changes_kind_at (" in plan[0], plan
    assert not any("SCAN" in step or "TEMP B-TREE" in step for step in plan), plan


@pytest.mark.parametrize("name", FORMATS)
def test_a_saved_search_feed_has_no_archive(client, create, name):
    for i in range(3):
        create(headline=f"Hafenfest {i}")
    response = client.get(f"/feeds/{name}?q=Hafenfest&limit=2")
    assert len(ids(response, name)) == 2
    assert "prev-archive" not in links(response, name)
