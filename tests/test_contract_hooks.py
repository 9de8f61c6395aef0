"""tests/contract/hooks.py: what it makes of generated requests the server takes.

`make contract` is not part of this suite; these check the hooks' own rules against the
document and the validators, so that a change to either shows here first.
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from api.outbound import checked_address
from schemas.fields import HTTP_URL_PATTERN
from schemas.html import is_allowed_url
from tests.contract.hooks import public_url, short_wait


@settings(max_examples=200, deadline=None)
@given(st.from_regex(HTTP_URL_PATTERN, fullmatch=True))
def test_a_generated_webhook_url_gets_a_public_host(url):
    """ "Resolves to public addresses only" is stated in words; the hook keeps the URL valid."""
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
