"""/v1/changes, /v1/sections, /v1/tags: a consumer that follows the stream keeps an exact copy."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def follow(client, since: int = 0, copy: dict | None = None, limit: int = 3) -> tuple[dict, int]:
    """Apply every change after `since` to `copy`, the way a consumer would."""
    copy = {} if copy is None else copy
    while True:
        response = client.get("/v1/changes", query_string={"since": since, "limit": limit})
        assert response.status_code == 200, response.get_json()
        page = response.get_json()
        seqs = [c["seq"] for c in page["changes"]]
        assert seqs == sorted(seqs) and all(s > since for s in seqs)
        for change in page["changes"]:
            if change["type"] == "upsert":
                assert change["article"]["id"] == change["id"]
                assert change["article"]["version"] == change["version"]
                copy[change["id"]] = change["article"]
            else:
                assert change["article"] is None
                copy.pop(change["id"], None)
        if not page["changes"]:
            assert page["next_since"] == since
            return copy, since
        since = page["next_since"]


def visible(client) -> dict:
    """Every visible article, through the public list."""
    items, url = {}, "/v1/articles?limit=100"
    while url:
        page = client.get(url).get_json()
        items.update({a["id"]: a for a in page["items"]})
        url = (
            f"/v1/articles?limit=100&cursor={page['next_cursor']}" if page["next_cursor"] else None
        )
    return items


def etag(client, auth, article_id):
    return client.get(f"/v1/articles/{article_id}", headers=auth).headers["ETag"]


def patch(client, auth, article_id, **fields):
    response = client.patch(
        f"/v1/articles/{article_id}",
        json=fields,
        headers={**auth, "If-Match": etag(client, auth, article_id)},
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_stream_rebuilds_the_visible_set(client, auth, create):
    a = create(headline="Eins")
    draft = create(headline="Entwurf", status="draft")
    b = create(headline="Zwei")
    copy, since = follow(client)
    assert set(copy) == {a["id"], b["id"]}  # the draft never appears
    patch(client, auth, a["id"], headline="Eins, korrigiert")
    patch(client, auth, draft["id"], status="published")
    patch(client, auth, b["id"], status="draft")  # unpublishing is a delete
    copy, since = follow(client, since, copy)
    assert copy == visible(client)
    assert copy[a["id"]]["headline"] == "Eins, korrigiert"
    assert b["id"] not in copy
    response = client.delete(
        f"/v1/articles/{a['id']}", headers={**auth, "If-Match": etag(client, auth, a["id"])}
    )
    assert response.status_code == 204
    copy, since = follow(client, since, copy)
    assert set(copy) == {draft["id"]} == set(visible(client))
    # a fresh consumer from 0 sees the same thing, without the history
    fresh, _ = follow(client, 0)
    assert fresh == copy


def test_copies_follow_what_a_linked_article_shows(client, auth, create):
    """A related item shows the target's headline while it is visible: the stream keeps up."""
    target = create(headline="Ziel")
    linking = create(headline="Verweis", related=[{"article": target["id"]}])
    copy, since = follow(client)

    def shown(copy):
        return [(r["article"], r["title"]) for r in copy[linking["id"]]["related"]]

    assert shown(copy) == [(target["id"], "Ziel")]
    patch(client, auth, target["id"], headline="Ziel, neu")
    copy, since = follow(client, since, copy)
    assert shown(copy) == [(target["id"], "Ziel, neu")]
    assert copy[linking["id"]]["version"] == linking["version"] + 1
    patch(client, auth, target["id"], status="draft")  # the link disappears while unpublished
    copy, since = follow(client, since, copy)
    assert shown(copy) == []
    patch(client, auth, target["id"], status="published")
    copy, since = follow(client, since, copy)
    assert shown(copy) == [(target["id"], "Ziel, neu")]
    response = client.delete(
        f"/v1/articles/{target['id']}",
        headers={**auth, "If-Match": etag(client, auth, target["id"])},
    )
    assert response.status_code == 204
    copy, since = follow(client, since, copy)
    assert shown(copy) == []
    assert copy == visible(client)
    # the link to the deleted article is gone from the write form too: the next edit just works
    patch(client, auth, linking["id"], lead="Weiter.")


def test_change_entries_have_the_documented_shape(client, create):
    article = create()
    change = client.get("/v1/changes").get_json()["changes"][0]
    assert set(change) == {"seq", "type", "id", "version", "at", "article"}
    assert change["type"] == "upsert" and change["id"] == article["id"]
    assert change["version"] == 1
    assert change["at"].endswith("Z")


def test_scheduled_article_appears_in_the_stream_at_its_instant(client, auth, create):
    soon = datetime.now(UTC) + timedelta(seconds=1.5)
    create(headline="Jetzt")
    scheduled = create(headline="Später", published_at=iso(soon), section="wissen", tags=["Mond"])
    copy, since = follow(client)
    assert scheduled["id"] not in copy
    assert "wissen" not in {s["section"] for s in client.get("/v1/sections").get_json()["sections"]}
    time.sleep(max(0.0, (soon - datetime.now(UTC)).total_seconds()) + 0.05)
    # a consumer with credentials (no anonymous traffic at all) sees it just the same
    page = client.get(f"/v1/changes?since={since}", headers=auth).get_json()
    assert [c["id"] for c in page["changes"]] == [scheduled["id"]]
    assert page["changes"][0]["seq"] > since  # no consumer could have passed it
    # and the counts of sections and tags include it from that instant on
    assert {"section": "wissen", "count": 1} in client.get("/v1/sections").get_json()["sections"]
    assert {"tag": "mond", "label": "Mond", "count": 1} in client.get("/v1/tags").get_json()["tags"]


def test_since_beyond_head_and_bad_since(client, create):
    create()
    head = client.get("/v1/changes").get_json()["next_since"]
    page = client.get(f"/v1/changes?since={head + 50}").get_json()
    assert page == {"changes": [], "next_since": head + 50}
    for bad in ("-1", "abc", "1.5", str(2**64)):
        response = client.get(f"/v1/changes?since={bad}")
        assert response.status_code == 400
        assert response.mimetype == "application/problem+json"
        assert "since" in response.get_json()["errors"]
    assert client.get("/v1/changes?limit=1001").status_code == 400


def test_unchanged_page_answers_304(client, auth, create):
    article = create()
    first = client.get("/v1/changes?since=0")
    again = client.get("/v1/changes?since=0", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    patch(client, auth, article["id"], lead="Neu.")
    after = client.get("/v1/changes?since=0", headers={"If-None-Match": first.headers["ETag"]})
    assert after.status_code == 200


def test_sections_and_tags_count_visible_articles(client, create):
    create(section="politik", tags=["Haushalt", "Köln"])
    create(section="politik", tags=["köln"])
    create(section="sport", tags=["Fußball"])
    create(section="kultur", tags=["Theater"], status="draft")
    sections = client.get("/v1/sections").get_json()["sections"]
    assert sections == [{"section": "politik", "count": 2}, {"section": "sport", "count": 1}]
    tags = {t["tag"]: t for t in client.get("/v1/tags").get_json()["tags"]}
    assert tags["koeln"]["count"] == 2
    assert tags["fussball"] == {"tag": "fussball", "label": "Fußball", "count": 1}
    assert "theater" not in tags


def test_a_scheduled_article_released_by_another_write_is_counted_with_its_label(
    client, auth, article_data, create
):
    """Writes do not wait for a read to release due articles; the counts stay right."""
    posted = client.post("/v1/articles", json={**article_data, "headline": "Ziel"}, headers=auth)
    target, etag = posted.get_json(), posted.headers["ETag"]  # no GET: it would release
    soon = datetime.now(UTC) + timedelta(seconds=1)
    create(headline="Geplant", tags=["Einzigartig"], published_at=iso(soon),
           related=[{"article": target["id"]}])  # fmt: skip
    time.sleep(max(0.0, (soon - datetime.now(UTC)).total_seconds()) + 0.1)
    response = client.patch(
        f"/v1/articles/{target['id']}",
        json={"headline": "Ziel, neu"},
        headers={**auth, "If-Match": etag},
    )
    assert response.status_code == 200
    tags = {t["tag"]: t for t in client.get("/v1/tags").get_json()["tags"]}
    assert tags["einzigartig"] == {"tag": "einzigartig", "label": "Einzigartig", "count": 1}
