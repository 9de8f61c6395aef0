"""Article files for `flask news import`: plain text, and JSON in the write format or ninjs.

Pure functions: bytes in, the write form out (ArticleIn validates it, as for the API).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from api import ninjs
from schemas.fields import tag_slug

SUFFIXES = (".txt", ".json")
PLAIN_SHAPE = "a headline line, a lead line, a blank line, then one paragraph a line"


class NotAnArticle(ValueError):
    """The file does not have the shape of an article."""


def parse(
    name: str, data: bytes, is_ours: Callable[[str], bool] = lambda article_id: False
) -> dict:
    """The article a file holds, in the write form (not validated yet); `is_ours(id)` tells
    whether a ninjs document's related `urn:uuid:<id>` is an article here."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise NotAnArticle(f"not UTF-8 (byte {exc.start})") from None
    if not name.lower().endswith(".json"):
        return plain_text(text)
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise NotAnArticle(f"not JSON ({exc})") from None
    if ninjs.is_ninjs(document):
        return ninjs.to_article(document, is_ours)
    if not isinstance(document, dict):
        raise NotAnArticle("a JSON file holds one article: an object in the write format or ninjs")
    return document


def plain_text(text: str) -> dict:
    """`examples/article-plain.txt`'s shape: headline, lead, blank line, paragraphs."""
    lines = text.splitlines()
    if len(lines) < 4 or not lines[0].strip() or not lines[1].strip() or lines[2].strip():
        raise NotAnArticle(f"expected {PLAIN_SHAPE}")
    return {"headline": lines[0], "lead": lines[1], "body_text": "\n".join(lines[3:])}


def identity(name: str, data: bytes) -> str:
    """What makes two imports the same import: a ninjs document's `uri`, else the file's bytes.

    Used as the idempotency key of the write, so importing the same file again, under any
    name, creates nothing new.
    """
    uri = None
    if name.lower().endswith(".json"):
        try:
            document = json.loads(data.decode("utf-8-sig"))
        except ValueError:
            document = None
        if ninjs.is_ninjs(document):
            uri = document["uri"]
    source = ("ninjs:" + uri).encode() if uri else b"file:" + data
    return "import:" + hashlib.sha256(source).hexdigest()


def with_options(
    article: dict,
    section: str | None = None,
    tags: tuple[str, ...] = (),
    language: str | None = None,
    status: str | None = None,
    authors: tuple[str, ...] = (),
) -> dict:
    """The command line's options over the file's: section, language, status and authors
    replace the file's; tags are added to the file's (skipping ones it already has)."""
    article = dict(article)
    for name, value in (("section", section), ("language", language), ("status", status)):
        if value is not None:
            article[name] = value
    if authors:
        article["authors"] = [{"name": name} for name in authors]
    if tags:
        present = article.get("tags") if isinstance(article.get("tags"), list) else []
        slugs = {tag_slug(t) for t in present if isinstance(t, str)}
        article["tags"] = present + [t for t in tags if tag_slug(t) not in slugs]
    return article


def request_hash(article: dict) -> str:
    """The content an import wrote: a second import under the same identity must match it."""
    canonical = json.dumps(article, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()
