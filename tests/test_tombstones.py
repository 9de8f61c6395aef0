"""Deleted entries in Atom (RFC 6721): what a reader needs to drop an article it fetched."""

from __future__ import annotations

from datetime import datetime

import feedparser
from lxml import etree

AT = "{http://purl.org/atompub/tombstones/1.0}"


def tombstones(client, query: str = "") -> dict[str, datetime]:
    response = client.get(f"/feeds/atom.xml{query}")
    assert response.status_code == 200
    parsed = feedparser.parse(
        response.data, response_headers={"content-type": response.headers["Content-Type"]}
    )
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    root = etree.fromstring(response.data)
    return {
        element.get("ref"): datetime.fromisoformat(element.get("when"))
        for element in root.findall(f"{AT}deleted-entry")
    }


def write(client, auth, article: dict, method: str, **fields):
    etag = client.get(f"/v1/articles/{article['id']}", headers=auth).headers["ETag"]
    headers = {**auth, "If-Match": etag}
    if method == "delete":
        response = client.delete(f"/v1/articles/{article['id']}", headers=headers)
    else:
        response = client.patch(f"/v1/articles/{article['id']}", json=fields, headers=headers)
    assert response.status_code in (200, 204), response.get_json()


def test_deleted_and_unpublished_articles_leave_tombstones(client, auth, create):
    kept = create(headline="Bleibt")
    deleted = create(headline="Gelöscht")
    unpublished = create(headline="Zurückgezogen")
    assert tombstones(client) == {}
    write(client, auth, deleted, "delete")
    write(client, auth, unpublished, "patch", status="draft")
    changes = client.get("/v1/changes?since=0").get_json()["changes"]
    deletes = {f"urn:uuid:{c['id']}": c["at"] for c in changes if c["type"] == "delete"}
    found = tombstones(client)
    assert set(found) == {f"urn:uuid:{deleted['id']}", f"urn:uuid:{unpublished['id']}"}
    for ref, when in found.items():
        assert when == datetime.fromisoformat(deletes[ref])  # the moment the reader lost it
    assert f"urn:uuid:{kept['id']}" not in found
    write(client, auth, unpublished, "patch", status="published")
    assert set(tombstones(client)) == {f"urn:uuid:{deleted['id']}"}  # back, no longer dead


def test_tombstones_follow_the_feeds_filters_and_window(app, client, auth, create):
    sport = create(headline="Sport", section="sport", tags=["Fußball"])
    politik = create(headline="Politik", section="politik", tags=["Rat"], language="de-AT")
    write(client, auth, sport, "delete")
    write(client, auth, politik, "delete")
    assert set(tombstones(client, "?section=sport")) == {f"urn:uuid:{sport['id']}"}
    assert set(tombstones(client, "?tag=fussball")) == {f"urn:uuid:{sport['id']}"}
    assert set(tombstones(client, "?language=de-AT")) == {f"urn:uuid:{politik['id']}"}
    assert len(tombstones(client, "?language=de")) == 2
    app.config["TOMBSTONE_DAYS"] = 0  # nothing was deleted after "now"
    assert tombstones(client, "?limit=5") == {}


def test_rss_and_json_feed_carry_no_tombstones(client, auth, create):
    article = create()
    write(client, auth, article, "delete")
    rss = etree.fromstring(client.get("/feeds/rss.xml").data)
    assert rss.find(f".//{AT}deleted-entry") is None
    assert client.get("/feeds/feed.json").get_json()["items"] == []
