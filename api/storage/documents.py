"""An article's public representation: built here, and only here, for every reader.

Every article keeps its public representation as JSON (`articles.document`), rendered when it
is written, so that a read is one indexed query and a join of stored strings. Its own links are
stored on BASE and spliced onto the request's base URL when sent (`on_base`).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from api.storage.models import Article, is_visible
from schemas.article import ArticleOut
from schemas.fields import rfc3339

BASE = "\x00"  # stands for the base URL in stored documents; no field may contain NUL
ARTICLE_OUT = ArticleOut()
# the columns an article's representation shows as they are stored
PUBLIC_COLUMNS = (
    "id", "slug", "headline", "lead", "body", "body_text", "language", "section", "image",
    "status", "published_at", "created_at", "updated_at", "version",
)  # fmt: skip


def public_form(
    columns: Mapping[str, Any],
    tags: list[str],
    authors: list[dict],
    related: list[dict],
    base_url: str = BASE,
) -> dict:
    """The representation every reader sees (ArticleOut describes it), from plain values:
    the article's columns, its tag labels, its authors, and its related items as shown."""
    return {
        **{name: columns[name] for name in PUBLIC_COLUMNS},
        "url": article_url(columns.get("canonical_url"), columns["slug"], base_url),
        "related": related,
        "tags": tags,
        "authors": [
            {"name": a["name"], "url": a["url"]} if a.get("url") else {"name": a["name"]}
            for a in authors
        ],
    }


def article_url(canonical_url: str | None, slug: str, base_url: str) -> str:
    return canonical_url or f"{base_url}/articles/{slug}"


def render_document(public: dict) -> str:
    """An article's public JSON as it is stored, its links on BASE (see `on_base`)."""
    return json.dumps(ARTICLE_OUT.dump(public), ensure_ascii=False, separators=(",", ":"))


def article_document(article: Article, now: datetime) -> str:
    """The stored document of an article loaded with its lists (see models.eager).

    A related item that names another article shows that article's headline and link while
    it is visible, and nothing otherwise.
    """
    related = []
    for item in article.related:
        if item.target_id is None:
            related.append({"title": item.title, "url": item.url})
        elif item.target is not None and is_visible(item.target, now):
            target = item.target
            related.append(
                {
                    "title": target.headline,
                    "url": article_url(target.canonical_url, target.slug, BASE),
                    "article": item.target_id,
                }
            )
    columns = {name: getattr(article, name) for name in (*PUBLIC_COLUMNS, "canonical_url")}
    authors = [{"name": a.name, "url": a.url} for a in article.authors]
    return render_document(public_form(columns, [t.label for t in article.tags], authors, related))


def input_form(article: Article) -> dict:
    """The article as a client would write it: the base a merge patch applies to."""
    return {
        "slug": article.slug,
        "headline": article.headline,
        "lead": article.lead,
        "body": article.body,
        "related": [
            {"article": r.target_id} if r.target_id else {"url": r.url, "title": r.title}
            for r in article.related
        ],
        "language": article.language,
        "section": article.section,
        "tags": [t.label for t in article.tags],
        "authors": [
            {"name": a.name, "url": a.url} if a.url else {"name": a.name} for a in article.authors
        ],
        "image": article.image,
        "status": article.status,
        "published_at": rfc3339(article.published_at) if article.published_at else None,
        "canonical_url": article.canonical_url,
    }


def on_base(document: str, base_url: str) -> str:
    r"""The stored document with the request's base URL where it has BASE.

    JSON text holds the sequence `"\u0000` only where a string begins with NUL: a quote inside a
    string is always escaped, and the schemas refuse control characters in every field, so
    only the links written on BASE begin that way.
    """
    return document.replace('"\\u0000', json_base(base_url))


@functools.lru_cache(maxsize=64)
def json_base(base_url: str) -> str:
    """The opening quote and base URL as they appear in JSON text (a base rarely changes)."""
    return json.dumps(base_url, ensure_ascii=False)[:-1]


@dataclass(frozen=True)
class Document:
    """An article's public representation, ready to send: UTF-8 JSON on the request's base."""

    json: str
    updated_at: datetime | None = None  # for Last-Modified; lists leave it out

    @property
    def body(self) -> bytes:
        return self.json.encode()

    def data(self) -> dict:
        """As a dict, with its dates as datetimes (for feeds and pages)."""
        data = json.loads(self.json)
        for name in ("published_at", "created_at", "updated_at"):
            if data.get(name):
                data[name] = datetime.fromisoformat(data[name])
        return data
