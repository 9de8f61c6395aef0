"""Articles as IPTC ninjs 3.1 and 2.2 (?format=ninjs / ninjs2), valid against IPTC's schemas."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

SCHEMAS = Path(__file__).parent / "ninjs"
FORMATS = {"ninjs": "3.1", "ninjs2": "2.2"}


def validator(version: str) -> Draft202012Validator:
    schema = json.loads((SCHEMAS / f"ninjs-schema_{version}.json").read_text("utf-8"))
    Draft202012Validator.check_schema(schema)
    # formats (uri, date-time) are checked too: rfc3986-validator and rfc3339-validator
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


VALIDATORS = {format: validator(version) for format, version in FORMATS.items()}


def assert_valid(document: dict, format: str) -> None:
    errors = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in VALIDATORS[format].iter_errors(document)
    ]
    assert not errors, errors
    assert document["standard"]["version"] == FORMATS[format]


# names that differ between the lines: 3.x camelCase, 2.x lower case
FIRST_CREATED = {"ninjs": "firstCreated", "ninjs2": "firstcreated"}
VERSION_CREATED = {"ninjs": "versionCreated", "ninjs2": "versioncreated"}
PUB_STATUS = {"ninjs": "pubStatus", "ninjs2": "pubstatus"}
CONTENT_TYPE = {"ninjs": "contentType", "ninjs2": "contenttype"}


def test_the_validators_are_strict():
    """A guard: the schemas do refuse what they should, so a passing test means something."""
    good = {"uri": "urn:uuid:0b6f6e1e-8d4e-4f5c-9a53-3c1d1e6d2b7a", "type": "text"}
    for format in FORMATS:
        assert VALIDATORS[format].is_valid(good)
        assert not VALIDATORS[format].is_valid({"type": "text"})  # uri is required
        assert not VALIDATORS[format].is_valid({**good, "headline": "x"})  # unknown property
        assert not VALIDATORS[format].is_valid({**good, "uri": "https://x.example/K ln"})
    assert not VALIDATORS["ninjs"].is_valid({**good, "versionCreated": "gestern"})
    assert not VALIDATORS["ninjs2"].is_valid({**good, "versionCreated": "2026-01-01T00:00:00Z"})


@pytest.fixture
def full_article(client, create):
    """An article with every optional field: image, related items (ours and external), authors."""
    target = create(headline="Vorgeschichte der Brücke", tags=[])
    return create(
        headline="Neue Brücke über die Elbe eröffnet",
        lead="Nach drei Jahren Bauzeit rollt der Verkehr.",
        body='<p>Die <strong>Brücke</strong> ist <a href="https://example.org/b">offen</a>.</p>',
        section="lokales",
        tags=["Köln", "Verkehr"],
        authors=[
            {"name": "Jana Beispiel", "url": "https://example.org/autoren/jana"},
            {"name": "Eva Muster"},
        ],
        image={
            "url": "https://img.example.org/brücke 1.jpg".replace(" ", "%20"),
            "alt": "Die neue Brücke im Abendlicht",
            "caption": "Die Brücke am Eröffnungstag.",
            "credit": "Foto: Jana Beispiel",
        },
        related=[
            {"article": target["id"]},
            {"url": "https://de.wikipedia.org/wiki/Köln|Elbe", "title": "Die Elbe"},
        ],
        language="de-DE",
    ), target


@pytest.mark.parametrize("format", FORMATS)
def test_one_article_with_every_field(client, full_article, format):
    article, target = full_article
    response = client.get(f"/v1/articles/{article['slug']}?format={format}")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["ETag"] and response.headers["Last-Modified"]
    document = response.get_json()
    assert_valid(document, format)
    content_type = CONTENT_TYPE[format]

    assert document["uri"] == f"urn:uuid:{article['id']}"
    assert document["type"] == "text"
    assert document["version"] == "1"
    assert document[FIRST_CREATED[format]] == article["created_at"]
    assert document[VERSION_CREATED[format]] == article["updated_at"]
    assert document[PUB_STATUS[format]] == "usable"
    assert document["language"] == "de-DE"
    assert document["headlines"] == [
        {"role": "main", content_type: "text/plain", "value": article["headline"]}
    ]
    assert document["descriptions"] == [
        {"role": "lead", content_type: "text/plain", "value": article["lead"]}
    ]
    bodies = {body[content_type]: body["value"] for body in document["bodies"]}
    assert bodies == {"text/html": article["body"], "text/plain": article["body_text"]}
    assert document["by"] == "Jana Beispiel, Eva Muster"
    assert document["people"] == [
        {"name": "Jana Beispiel", "rel": "author", "uri": "https://example.org/autoren/jana"},
        {"name": "Eva Muster", "rel": "author"},
    ]
    assert document["subjects"] == [
        {"name": "lokales", "rel": "section", "literal": "lokales"},
        {"name": "Köln", "rel": "tag", "literal": "koeln"},
        {"name": "Verkehr", "rel": "tag", "literal": "verkehr"},
    ]
    web = {"name": "web", "href": article["url"], content_type: "text/html"}
    assert document["renditions"] == [web]

    image, ours, external = document["associations"]
    assert image["type"] == "picture"
    assert image["renditions"] == [
        {
            "name": "original",
            "href": "https://img.example.org/br%C3%BCcke%201.jpg",
            "title": "Die neue Brücke im Abendlicht",
            content_type: "image/jpeg",
        }
    ]
    assert {d["role"]: d["value"] for d in image["descriptions"]} == {
        "alt": "Die neue Brücke im Abendlicht",
        "caption": "Die Brücke am Eröffnungstag.",
    }
    assert image["by"] == "Foto: Jana Beispiel"
    assert ours["uri"] == f"urn:uuid:{target['id']}" and ours["type"] == "text"
    assert ours["name"] == "Vorgeschichte der Brücke"
    assert ours["renditions"] == [{"name": "web", "href": target["url"], content_type: "text/html"}]
    # an IRI becomes a URI: non-ASCII and `|` percent-encoded
    assert external["uri"] == "https://de.wikipedia.org/wiki/K%C3%B6ln%7CElbe"
    assert external["name"] == "Die Elbe"
    if format == "ninjs":
        assert [a["rel"] for a in document["associations"]] == [
            "featureimage",
            "related",
            "related",
        ]
    else:
        assert all("rel" not in a for a in document["associations"])  # 2.x has none


@pytest.mark.parametrize("format", FORMATS)
def test_an_article_without_optional_fields(client, auth, format):
    response = client.post(
        "/v1/articles",
        json={
            "headline": "Kurz",
            "lead": "Knapp.",
            "body_text": "Ein Satz.",
            "status": "published",
        },
        headers=auth,
    )
    article = response.get_json()
    document = client.get(f"/v1/articles/{article['id']}?format={format}").get_json()
    assert_valid(document, format)
    for absent in ("by", "people", "subjects", "associations"):
        assert absent not in document
    assert document["language"] == "de"


@pytest.mark.parametrize("format", FORMATS)
def test_drafts_and_scheduled_articles_with_a_token(client, auth, create, format):
    draft = create(status="draft")
    document = client.get(f"/v1/articles/{draft['id']}?format={format}", headers=auth).get_json()
    assert_valid(document, format)
    assert document[PUB_STATUS[format]] == "withheld"

    soon = (datetime.now(UTC) + timedelta(hours=2)).replace(microsecond=0)
    scheduled = create(published_at=soon.isoformat())
    document = client.get(
        f"/v1/articles/{scheduled['id']}?format={format}", headers=auth
    ).get_json()
    assert_valid(document, format)
    embargo = "embargoedUntil" if format == "ninjs" else "embargoed"
    assert document[embargo] == soon.isoformat().replace("+00:00", "Z")
    assert client.get(f"/v1/articles/{scheduled['id']}?format={format}").status_code == 404


@pytest.mark.parametrize("format", FORMATS)
def test_the_list_in_ninjs_pages_like_the_json_list(client, full_article, create, format):
    for n in range(3):
        create(headline=f"Meldung {n}", tags=[], authors=[])
    first = client.get(f"/v1/articles?limit=3&format={format}")
    assert first.status_code == 200
    page = first.get_json()
    assert len(page["items"]) == 3 and page["next_cursor"]
    assert "format=" + format in first.headers["Link"]
    plain = client.get("/v1/articles?limit=100").get_json()["items"]
    collected = page["items"]
    while page["next_cursor"]:
        page = client.get(
            f"/v1/articles?limit=3&format={format}&cursor={page['next_cursor']}"
        ).get_json()
        collected += page["items"]
    for document in collected:
        assert_valid(document, format)
    assert [d["uri"] for d in collected] == [f"urn:uuid:{a['id']}" for a in plain]


@pytest.mark.parametrize("format", FORMATS)
def test_the_change_stream_in_ninjs(client, auth, full_article, format):
    article, target = full_article
    client.delete(
        f"/v1/articles/{target['id']}",
        headers={**auth, "If-Match": client.get(f"/v1/articles/{target['id']}").headers["ETag"]},
    )
    response = client.get(f"/v1/changes?since=0&format={format}")
    assert response.status_code == 200
    changes = response.get_json()["changes"]
    kinds = {(c["id"], c["type"]) for c in changes}
    assert kinds == {(article["id"], "upsert"), (target["id"], "delete")}
    for change in changes:
        if change["type"] == "upsert":
            assert_valid(change["article"], format)
            assert change["article"]["uri"] == f"urn:uuid:{change['id']}"
            assert change["article"]["version"] == str(change["version"])
            # the deleted target left the related items
            assert [a["name"] for a in change["article"]["associations"]] == [
                "featureimage",
                "Die Elbe",
            ]
        else:
            assert change["article"] is None


def test_each_format_is_cached_apart_and_answers_304(client, create):
    article = create()
    urls = [f"/v1/articles/{article['id']}", "/v1/articles", "/v1/changes"]
    for url in urls:
        sep = "&" if "?" in url else "?"
        answers = {}
        for format in ("json", "ninjs", "ninjs2", "json", "ninjs", "ninjs2"):
            query = "" if format == "json" else f"{sep}format={format}"
            response = client.get(url + query)  # the second round comes from the cache
            assert response.status_code == 200
            answers.setdefault(format, set()).add((response.headers["ETag"], response.data))
        assert all(len(seen) == 1 for seen in answers.values()), url
        etags = {next(iter(seen))[0] for seen in answers.values()}
        assert len(etags) == 3, url
        ninjs_etag = next(iter(answers["ninjs"]))[0]
        again = client.get(url + f"{sep}format=ninjs", headers={"If-None-Match": ninjs_etag})
        assert again.status_code == 304
        plain = client.get(url, headers={"If-None-Match": ninjs_etag})
        assert plain.status_code == 200


@pytest.mark.parametrize("path", ["/v1/articles/x", "/v1/articles", "/v1/changes"])
def test_an_unknown_format_is_a_400_naming_it(client, path):
    response = client.get(path + "?format=ninjs4")
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert "format" in response.get_json()["errors"]
