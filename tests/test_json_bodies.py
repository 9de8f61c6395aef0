"""Issue 10.9: JSON bodies Python cannot hold as given (a lone surrogate as a key, an integer
of thousands of digits) are a 422 naming the field, never a 500."""

from __future__ import annotations

import json

import pytest

from tests.test_errors import assert_problem

HUGE = "7" * 5000


def post(client, auth, body: str):
    return client.post("/v1/articles", data=body, headers=auth, content_type="application/json")


def patch(client, auth, article: dict, body: str):
    etag = client.get(f"/v1/articles/{article['id']}").headers["ETag"]
    return client.patch(
        f"/v1/articles/{article['id']}",
        data=body,
        headers={**auth, "If-Match": etag},
        content_type="application/merge-patch+json",
    )


def with_field(article_data: dict, name: str, raw_value: str) -> str:
    """The article as JSON text, with one field's value spelled exactly as given."""
    body = json.dumps({**article_data, name: "PLACEHOLDER"})
    return body.replace('"PLACEHOLDER"', raw_value)


def test_lone_surrogate_key_is_422(client, auth, article_data, create):
    body = json.dumps({**article_data, "\ud800": 1})  # json.dumps writes it as \ud800
    response = post(client, auth, body)
    errors = assert_problem(response, 422)["errors"]
    assert list(errors) == ["\\ud800"] and response.data.decode("utf-8")
    article = create()
    assert_problem(patch(client, auth, article, '{"\\udfff": 1}'), 422)
    assert len(client.get("/v1/articles").get_json()["items"]) == 1


@pytest.mark.parametrize("field", ["headline", "tags", "version"])
def test_integer_of_thousands_of_digits_is_422_naming_the_field(client, auth, article_data, field):
    response = post(client, auth, with_field(article_data, field, HUGE))
    assert field in assert_problem(response, 422)["errors"]


def test_integer_of_thousands_of_digits_is_422_in_a_patch_and_nested(
    client, auth, create, article_data
):
    article = create()
    response = patch(client, auth, article, '{"lead": ' + HUGE + "}")
    assert "lead" in assert_problem(response, 422)["errors"]
    related = with_field(article_data, "related", '[{"article": ' + HUGE + "}]")
    assert "related.0.article" in assert_problem(post(client, auth, related), 422)["errors"]
    assert_problem(post(client, auth, HUGE), 422)
    assert len(client.get("/v1/articles").get_json()["items"]) == 1


def test_ordinary_numbers_are_still_read_as_numbers(client, auth, article_data):
    response = post(client, auth, with_field(article_data, "headline", "12345"))
    assert "Not a valid string" in assert_problem(response, 422)["errors"]["headline"][0]


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("post", "/v1/webhooks", '{"url": ' + HUGE + "}", "url"),
        (
            "post",
            "/v1/webhooks",
            '{"url": "https://example.org/hook", "since": ' + HUGE + "}",
            "since",
        ),
        ("patch", "/v1/webhooks/1", '{"enabled": ' + HUGE + "}", "enabled"),
    ],
    ids=["post-url", "post-since", "patch-enabled"],
)
def test_integer_of_thousands_of_digits_is_422_for_webhooks_too(
    client, auth, method, path, body, field
):
    response = getattr(client, method)(
        path, data=body, headers=auth, content_type="application/json"
    )
    assert field in assert_problem(response, 422)["errors"]
