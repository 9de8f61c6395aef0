"""/openapi.json: a valid OpenAPI 3.1 document that states what the server accepts and answers."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import jsonschema
import pytest
from hypothesis import example as case
from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError
from openapi_spec_validator import validate

from api.querystring import BadQueryString, decode
from schemas.article import ArticleIn, ArticlePatch
from schemas.fields import HttpUrl, PlainText, Text
from schemas.query import ArchiveQuery, ArticleListQuery, ChangesQuery, FeedQuery


@pytest.fixture
def spec(client) -> dict:
    return client.get("/openapi.json").get_json()


def test_openapi_spec_validator_accepts_the_document(spec):
    assert spec["openapi"] == "3.1.0"
    validate(spec)  # raises on any error


def test_every_operation_has_an_id_a_tag_and_its_statuses(spec):
    ids = {
        op["operationId"]: (path, method)
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if isinstance(op, dict) and "responses" in op
    }
    assert {
        "listArticles",
        "getArticle",
        "createArticle",
        "replaceArticle",
        "patchArticle",
        "deleteArticle",
        "listChanges",
        "listSections",
        "listTags",
        "getRssFeed",
        "getAtomFeed",
        "getJsonFeed",
        "getHealth",
        "getHomePage",
        "getArticlePage",
    } <= set(ids)
    article = spec["paths"]["/v1/articles/{key}"]
    assert {"200", "400", "401", "404", "410", "412", "413", "415", "422", "428"} <= set(
        article["patch"]["responses"]
    )
    assert {"204", "401", "404", "410", "412", "428"} <= set(article["delete"]["responses"])
    assert {"200", "304", "401", "404", "410"} <= set(article["get"]["responses"])
    listing = spec["paths"]["/v1/articles"]["get"]["responses"]
    assert "400" in listing and "422" not in listing  # bad query parameters are a 400


def test_edits_take_if_match_and_reads_if_none_match(spec):
    """So that /docs "Try it out" can send them."""
    article = spec["paths"]["/v1/articles/{key}"]
    for method in ("put", "patch", "delete"):
        assert {"$ref": "#/components/parameters/IfMatch"} in article[method]["parameters"]
    assert spec["components"]["parameters"]["IfMatch"]["required"] is True
    assert {"$ref": "#/components/parameters/IfNoneMatch"} in article["get"]["parameters"]
    create = spec["paths"]["/v1/articles"]["post"]
    assert {"$ref": "#/components/parameters/IdempotencyKey"} in create["parameters"]
    assert set(create["responses"]["201"]["headers"]) >= {"Location", "ETag"}


def test_a_new_webhook_links_to_what_can_be_done_with_it(spec):
    """So that Schemathesis' stateful phase (make contract) reaches the hook it created."""
    created = spec["paths"]["/v1/webhooks"]["post"]["responses"]["201"]
    assert created["headers"] == {"Location": {"$ref": "#/components/headers/Location"}}
    assert {link["operationId"] for link in created["links"].values()} == {
        "getWebhook",
        "patchWebhook",
        "deleteWebhook",
    }
    for link in created["links"].values():
        assert link["parameters"] == {"hook_id": "$response.body#/id"}


def test_patch_is_a_merge_patch_with_every_field_optional(spec):
    body = spec["paths"]["/v1/articles/{key}"]["patch"]["requestBody"]["content"]
    assert list(body) == ["application/merge-patch+json"]
    patch = spec["components"]["schemas"]["ArticlePatch"]
    assert "required" not in patch
    assert all("default" not in field for field in patch["properties"].values())
    assert "null" in patch["properties"]["section"]["type"]  # null removes a section
    assert patch["properties"]["image"]["anyOf"][1] == {"type": "null"}


def test_read_form_requires_every_field_it_always_has(spec):
    out = spec["components"]["schemas"]["ArticleOut"]
    assert set(out["required"]) == set(out["properties"])
    assert out["properties"]["id"]["readOnly"] is True
    image = out["properties"]["image"]
    assert image == {"anyOf": [{"$ref": "#/components/schemas/Image"}, {"type": "null"}]}


def test_constraints_are_in_the_document(spec):
    article_in = spec["components"]["schemas"]["ArticleIn"]["properties"]
    assert article_in["slug"]["pattern"] == "^[a-z0-9]+(-[a-z0-9]+)*$"
    assert article_in["tags"]["maxItems"] == 20
    assert article_in["status"]["enum"] == ["draft", "published"]
    assert article_in["published_at"]["format"] == "date-time"
    headline = jsonschema.Draft202012Validator(article_in["headline"])
    assert headline.is_valid("Stadtrat beschließt Haushalt")
    assert headline.is_valid("  trimmed  ")
    for bad in ("", "   ", "a\nb", "x" * 201, "a\x07b"):
        assert not headline.is_valid(bad), repr(bad)
    assert headline.is_valid("x" * 200)


def examples(node, where=""):
    """Every (example, the schema it illustrates, where) in the document."""
    if isinstance(node, dict):
        if "example" in node and isinstance(node.get("schema"), dict):
            yield node["example"], node["schema"], where
        elif "example" in node and ("type" in node or "anyOf" in node):
            yield node["example"], {k: v for k, v in node.items() if k != "example"}, where
        for key, value in node.items():
            yield from examples(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from examples(value, f"{where}/{i}")


def test_every_example_is_valid(spec):
    found = list(examples(spec))
    assert len(found) >= 5
    for example, schema, where in found:
        resolver_schema = {**schema, "components": spec["components"]}
        jsonschema.Draft202012Validator(resolver_schema).validate(example)
        if where.endswith("application/json") and "/v1/articles" in where:
            assert ArticleIn().load(example)  # and the server's own validator takes it
        if "merge-patch" in where:
            assert ArticlePatch().load(example) is not None


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=6), st.booleans())
def test_text_patterns_say_what_the_fields_accept(text, multiline):
    """The pattern in the document and the field's validator agree on every text."""
    for field, value in [
        (PlainText(20, multiline=multiline), text),
        (HttpUrl(), "https://e.org/" + text),
        (HttpUrl(), "http" + text + "://" + text),
    ]:
        matches = re.fullmatch(field.json_schema()["pattern"], value) is not None
        assert matches == accepts(field, value), repr(value)


def accepts(field, value) -> bool:
    try:
        field.deserialize(value)
        return True
    except ValidationError:
        return False


def query_text_fields():
    """(name, field) of every text field the query-string schemas read, list items included."""
    for schema in (ArticleListQuery(), FeedQuery(), ArchiveQuery(), ChangesQuery()):
        for name, field in schema.fields.items():
            field = getattr(field, "inner", field)
            if isinstance(field, Text):
                yield field.data_key or name, field


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=6))
@case("Haushalt\r\n")
@case("\r\nHaushalt")
@case("Haus\rhalt")
@case(" Haushalt\t\n")
def test_query_patterns_say_what_the_query_string_lets_through(text):
    """A query parameter's pattern matches only what api/querystring.py lets through, and for
    plain text exactly what the field takes too: unlike a body, a query string may not carry
    the CR of a CRLF. (A slug's length, a language's registration and q's search syntax are
    stated in words.)"""
    fields = list(query_text_fields())
    assert {"q", "author", "tag", "section", "language"} <= {name for name, _ in fields}
    for name, field in fields:
        matches = re.fullmatch(field.json_schema()["pattern"], text) is not None
        if isinstance(field, PlainText):
            assert matches == accepted_in_query(name, field, text), (name, text)
        elif matches:
            assert passes_query_string(name, text), (name, text)


def passes_query_string(name: str, text: str) -> bool:
    try:
        return decode(urlencode({name: text})) == ((name, text),)
    except BadQueryString:
        return False


def accepted_in_query(name: str, field: PlainText, text: str) -> bool:
    try:
        PlainText._deserialize(field, text, name, {})  # its text rules, without q's syntax
    except ValidationError:
        return False
    return passes_query_string(name, text)


def test_a_crlf_is_text_in_a_body_but_refused_in_a_query_string(spec, client, auth, article_data):
    """The document says so for every text query parameter, as the server answers."""
    for path in ("/v1/articles", "/feeds/atom.xml"):
        for parameter in spec["paths"][path]["get"]["parameters"]:
            schema = parameter.get("schema", {})
            pattern = schema.get("pattern") or schema.get("items", {}).get("pattern")
            if pattern and parameter["name"] in ("q", "author", "tag"):
                assert re.search(pattern, "Haushalt") and not re.search(pattern, "Haushalt\r\n")
                answer = client.get(path, query_string={parameter["name"]: "Haushalt\r\n"})
                assert answer.status_code == 400, (path, parameter["name"])
                assert parameter["name"] in answer.get_json()["errors"]
    headline = spec["components"]["schemas"]["ArticleIn"]["properties"]["headline"]["pattern"]
    assert re.search(headline, "Haushalt\r\n")
    created = client.post(
        "/v1/articles", json={**article_data, "headline": "Haushalt\r\n"}, headers=auth
    )
    assert created.status_code == 201
    assert created.get_json()["headline"] == "Haushalt"
