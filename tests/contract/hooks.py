"""Schemathesis hooks for `make contract`: the rules the OpenAPI document states in words only.

JSON Schema cannot say "a registered BCP 47 tag", "HTML within the allowlist", "tags unique by
their slug", "an internal related item names an article that exists", "a cursor is one the
server issued", "an Idempotency-Key is used once per request body", "a webhook's host
resolves to public addresses only", "q has at least one word to search for" or "sort=relevance
needs q"; the document says each in a description. These hooks teach the generator those
rules for the requests it means to be valid, so that a rejection of such a request is a real
disagreement between the document and the server. Requests meant to be invalid are left alone.

One more is about time, not validity: a long-poll (`wait` on GET /v1/changes) with nothing to
report holds the request for `wait` seconds, so valid waits are cut to one second
(tests/test_longpoll.py checks long waits).
"""

from __future__ import annotations

import os
import re
import uuid
from urllib.parse import urlsplit, urlunsplit

import langcodes
import schemathesis
from hypothesis import strategies as st
from marshmallow import ValidationError
from schemathesis.core.parameters import ParameterLocation

from api.openapi import IDEMPOTENCY_KEY_PATTERN
from schemas.fields import LANGUAGE_SHAPE, URL_MAX_LENGTH, SafeHtml, tag_slug
from schemas.search import SearchText

LANGUAGES = ["de", "de-AT", "de-CH", "en", "en-GB", "en-US", "fr", "it", "es-419", "sr-Latn"]
WORDS = st.from_regex(r"[A-Za-zÄÖÜäöüß0-9][A-Za-zÄÖÜäöüß0-9 ,.!?'()-]{0,40}", fullmatch=True)
INLINE = st.one_of(
    WORDS,
    WORDS.map(lambda text: f"<em>{text}</em>"),
    st.tuples(WORDS, WORDS).map(
        lambda pair: f'<a href="https://example.org/{len(pair[0])}">{pair[0]}</a> {pair[1]}'
    ),
)
BLOCK = st.one_of(
    INLINE.map(lambda text: f"<p>{text}</p>"),
    WORDS.map(lambda text: f"<h2>{text}</h2>"),
    st.lists(WORDS, min_size=1, max_size=3).map(
        lambda items: "<ul>" + "".join(f"<li>{item}</li>" for item in items) + "</ul>"
    ),
)
schemathesis.openapi.format("bcp47", st.sampled_from(LANGUAGES))
schemathesis.openapi.format("html", st.lists(BLOCK, min_size=1, max_size=4).map("".join))

# Draft articles made by tests/contract/run.py for internal related items to point at.
ANCHORS = [key for key in os.environ.get("NEWSWIRE_CONTRACT_ANCHORS", "").split(",") if key]
IDEMPOTENCY_KEY = re.compile(IDEMPOTENCY_KEY_PATTERN)
IMAGE = {"url": "https://example.org/bild.jpg", "alt": "Ein Bild"}
# A public address, as a literal so that no DNS is asked; `make contract` runs no delivery, so
# nothing is ever sent to it.
PUBLIC_HOST = "1.1.1.1"


def meant_valid(case, location: ParameterLocation) -> bool:
    return case.meta is None or not case.meta.is_negative_at(location)


def unique_tags(tags: list) -> list:
    seen, kept = set(), []
    for label in tags:
        slug = tag_slug(label) if isinstance(label, str) else None
        if slug and slug not in seen:
            seen.add(slug)
            kept.append(label)
    return kept


def existing_related(related: list) -> list:
    seen, kept = set(), []
    for item in related:
        if isinstance(item, dict) and "article" in item:
            item = {"article": ANCHORS[len(kept) % len(ANCHORS)]} if ANCHORS else None
        target = item and (item.get("article") or item.get("url"))
        if target and target not in seen:
            seen.add(target)
            kept.append(item)
    return kept


def is_safe_html(html: str) -> bool:
    """Within the allowlist, with some text: what the document describes and cannot pattern."""
    try:
        SafeHtml().deserialize(html)
        return True
    except ValidationError:
        return False


def public_url(url):
    """The generated URL with a public host in place of its own (and no user or port)."""
    if not isinstance(url, str):
        return url
    try:
        scheme, _, path, query, fragment = urlsplit(url)
    except ValueError:
        return f"https://{PUBLIC_HOST}/hook"
    public = urlunsplit((scheme, PUBLIC_HOST, path, query, fragment))
    return public if len(public) <= URL_MAX_LENGTH else f"https://{PUBLIC_HOST}/hook"


SEARCHES = ["Haushalt", '"Stadtrat beschließt"', "Haushalt OR Schule", "Stadtrat -Schule"]


def searchable(q):
    """A q the search box takes (at least one word, not too many): the one generated, or one of
    SEARCHES in its place."""
    try:
        SearchText().deserialize(q)
        return q
    except ValidationError:
        return SEARCHES[len(q) % len(SEARCHES)] if isinstance(q, str) else SEARCHES[0]


def short_wait(value):
    """A valid long-poll wait, at most a second."""
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return str(min(int(value), 1)) if int(value) <= 60 else value
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 60:
        return min(value, 1)
    return value


def registered_language(value):
    """A registered tag in place of one that only has the shape of one."""
    if isinstance(value, str) and LANGUAGE_SHAPE.fullmatch(value):
        if not langcodes.tag_is_valid(value):
            return "de"
    return value


@schemathesis.hook
def map_case(context, case):
    operation_id = case.operation.definition.raw.get("operationId")
    query = case.query
    if isinstance(query, dict) and meant_valid(case, ParameterLocation.QUERY):
        query = {k: v for k, v in query.items() if k != "cursor"}  # only a next_cursor is one
        if "language" in query:
            query["language"] = registered_language(query["language"])
        if "q" in query:
            query["q"] = searchable(query["q"])
        elif query.get("sort") == "relevance":
            query["q"] = SEARCHES[0]
        case.query = query
    if operation_id == "listChanges" and isinstance(case.query, dict) and "wait" in case.query:
        # whatever else the request means to test; a wait out of range stays as it is
        case.query = {**case.query, "wait": short_wait(case.query["wait"])}
    body = case.body
    if isinstance(body, dict) and meant_valid(case, ParameterLocation.BODY):
        body = dict(body)
        if "language" in body:
            body["language"] = registered_language(body["language"])
        if isinstance(body.get("body"), str) and not is_safe_html(body["body"]):
            body["body"] = "<p>Ein Absatz.</p>"
        if isinstance(body.get("tags"), list):
            body["tags"] = unique_tags(body["tags"])
        if isinstance(body.get("related"), list):
            body["related"] = existing_related(body["related"])
        if operation_id == "patchArticle":
            # a merge patch must leave a valid article: one body form, an image with url and alt
            if body.get("body") is not None and body.get("body_text") is not None:
                del body["body_text"]
            if "body" in body and body["body"] is None and body.get("body_text") is None:
                del body["body"]
            if isinstance(body.get("image"), dict):
                body["image"] = {**IMAGE, **body["image"]}
        if operation_id == "createWebhook" and "url" in body:
            body["url"] = public_url(body["url"])
        case.body = body
    key = (case.headers or {}).get("Idempotency-Key")
    if operation_id == "createArticle" and isinstance(key, str) and IDEMPOTENCY_KEY.match(key):
        # a client sends a new key with every new request body
        case.headers = {**case.headers, "Idempotency-Key": uuid.uuid4().hex}
    return case
