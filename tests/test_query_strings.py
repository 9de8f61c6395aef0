"""Issue 10.7: a query string that is not UTF-8 text is a 400 problem, never a 500."""

from __future__ import annotations

import pytest

from tests.test_errors import assert_problem

READS = ["/v1/articles", "/v1/changes", "/feeds/rss.xml", "/feeds/atom.xml", "/feeds/feed.json"]

# as a WSGI server hands them over: the raw bytes of the request line, decoded as latin-1
HOSTILE = {
    "raw byte FF": "a=\xff",
    "percent-encoded FF": "a=%FF",
    "raw control character": "a=\x01",
    "percent-encoded control character": "a=%01",
    "lone surrogate, percent-encoded": "q=%ED%A0%80",
    "bad byte in a known parameter": "section=%C3",
    "control character in a name": "%01=x",
}


@pytest.mark.parametrize("path", READS)
@pytest.mark.parametrize("query", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_query_string_is_400(client, path, query):
    response = client.get(path, environ_overrides={"QUERY_STRING": query})
    body = assert_problem(response, 400)
    assert "query" in body["detail"].lower()


@pytest.mark.parametrize("query", ["a=\xff", "a=%01"])
def test_hostile_query_string_is_400_with_a_token_and_on_a_warm_cache(client, auth, create, query):
    article = create()
    for path in [*READS, f"/v1/articles/{article['id']}"]:
        assert client.get(path).status_code == 200  # now cached: ServeCached must refuse too
        overrides = {"QUERY_STRING": query}
        assert_problem(client.get(path, environ_overrides=overrides), 400)
        assert_problem(client.get(path, headers=auth, environ_overrides=overrides), 400)


def test_unicode_text_in_the_query_string_is_fine(client, create):
    create(tags=["Köln"])
    response = client.get("/v1/articles?tag=K%C3%B6ln&x=%E2%82%AC")
    assert response.status_code == 200 and len(response.get_json()["items"]) == 1
    assert client.get("/feeds/atom.xml?tag=K%C3%B6ln").status_code == 200
