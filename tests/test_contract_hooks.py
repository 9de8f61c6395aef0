"""tests/contract/hooks.py: what it makes of generated requests the server takes.

`make contract` is not part of this suite; these check the hooks' own rules against the
document and the validators, so that a change to either shows here first.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from schemathesis.core.jsonschema.patterns import update_quantifier

from api.outbound import checked_address
from schemas.fields import HTTP_URL_PATTERN
from schemas.html import is_allowed_url
from tests.contract.hooks import public_url, searchable, short_wait


@settings(max_examples=200, deadline=None)
@given(st.from_regex(HTTP_URL_PATTERN, fullmatch=True))
def test_a_generated_webhook_url_gets_a_public_host(url):
    """The rule "resolves to public addresses only" is stated in words; the URL stays valid."""
    public = public_url(url)
    assert re.fullmatch(HTTP_URL_PATTERN, public) and len(public) <= 2000
    assert is_allowed_url(public)
    checked_address(public, allow_private=False)  # raises Refused for a non-public host


def test_the_url_schemathesis_found_is_then_taken(client, auth):
    answer = client.post(
        "/v1/webhooks",
        json={"url": public_url("HTTP://0"), "since": 9223372036854775806},
        headers=auth,
    )
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["position"] == 9223372036854775806


@pytest.mark.parametrize("q", [",_ \n\t", "-Schule", "OR", "a " * 13, "x" * 8])
def test_a_q_without_a_word_to_search_for_is_replaced_by_one_the_server_takes(client, q):
    """The rule "at least one word, at most 12 terms" is stated in words; a q keeping it stays."""
    kept = searchable(q)
    assert (kept == q) == (q == "x" * 8)
    answer = client.get("/v1/articles", query_string={"q": kept, "sort": "relevance"})
    assert answer.status_code == 200, answer.get_json()


def test_a_valid_wait_is_cut_to_a_second_and_an_invalid_one_is_left():
    assert [short_wait(n) for n in (0, 1, 2, 60)] == [0, 1, 1, 1]
    assert [short_wait(s) for s in ("0", "60")] == ["0", "1"]
    assert [short_wait(v) for v in (61, -1, "61", "x", True, None)] == [
        61,
        -1,
        "61",
        "x",
        True,
        None,
    ]


def patterns_with_lengths(node):
    if isinstance(node, dict):
        if isinstance(node.get("pattern"), str) and "maxLength" in node:
            yield node["pattern"], node.get("minLength"), node["maxLength"]
        for value in node.values():
            yield from patterns_with_lengths(value)
    elif isinstance(node, list):
        for value in node:
            yield from patterns_with_lengths(value)


def test_schemathesis_keeps_the_long_text_patterns_as_written(client):
    """schemas/fields.py `one_group`: folded into `{0,100000}`, a text pattern costs Schemathesis
    seconds to compile each time, and `make contract` ten times as long."""
    found = list(patterns_with_lengths(client.get("/openapi.json").get_json()))
    long = [(p, low, high) for p, low, high in found if high >= 1000]
    assert len(long) >= 4  # body, body_text, the URLs
    for pattern, low, high in long:
        assert update_quantifier(pattern, low, high) == pattern
