"""IPTC ninjs (News in JSON) 3.1 and 2.2, both ways: an article's public dict to ninjs, and a
ninjs document to the write form that ArticleIn validates (for `flask news import`).

Pure functions of their input. Both versions carry the same information; 2.x spells its
properties in lower case and its associations have no `rel`.
"""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from schemas.fields import rfc3339, tag_slug
from schemas.html import html_to_text

# ?format= value → ninjs version
VERSIONS = {"ninjs": "3.1", "ninjs2": "2.2"}

# ninjs 3.x property names that 2.x spells differently
NAMES_2X = {
    "firstCreated": "firstcreated",
    "versionCreated": "versioncreated",
    "embargoedUntil": "embargoed",
    "pubStatus": "pubstatus",
    "contentType": "contenttype",
    "representationType": "representationtype",
}
NAMES_3X = {old: new for new, old in NAMES_2X.items()}


def uri_of(article_id: str) -> str:
    """The article's ninjs identifier: stable across edits, slugs and base URLs (as in feeds)."""
    return f"urn:uuid:{article_id}"


def as_uri(url: str) -> str:
    """An http(s) URL as ninjs' `format: uri` wants it: non-ASCII and other characters that a
    URI cannot hold percent-encoded (UTF-8), e.g. `…/wiki/Köln` → `…/wiki/K%C3%B6ln`."""
    url = re.sub(r"%(?![0-9A-Fa-f]{2})", "%25", url)
    return quote(url, safe=":/?#[]@!$&'()*+,;=%~-._")


def render(article: dict, version: str) -> dict:
    """The public article (Document.data()) as a ninjs document of `version` ("3.1", "2.2")."""
    document = ninjs3(article)
    document["standard"] = {
        "name": "ninjs",
        "version": version,
        "schema": f"https://www.iptc.org/std/ninjs/ninjs-schema_{version}.json",
    }
    return document if version.startswith("3.") else as_2x(document)


def ninjs3(article: dict) -> dict:
    document: dict[str, Any] = {
        "uri": uri_of(article["id"]),
        "type": "text",
        "representationType": "full",
        "version": str(article["version"]),
        "firstCreated": rfc3339(article["created_at"]),
        "versionCreated": rfc3339(article["updated_at"]),
        "pubStatus": "usable" if article["status"] == "published" else "withheld",
        "language": article["language"],
        "slugline": article["slug"],
        "headlines": [{"role": "main", "contentType": "text/plain", "value": article["headline"]}],
        "descriptions": [{"role": "lead", "contentType": "text/plain", "value": article["lead"]}],
        "bodies": [
            {"role": "main", "contentType": "text/html", "value": article["body"]},
            {"role": "main", "contentType": "text/plain", "value": article["body_text"]},
        ],
        "renditions": [{"name": "web", "href": as_uri(article["url"]), "contentType": "text/html"}],
    }
    published_at = article.get("published_at")
    if published_at and published_at > article["updated_at"]:
        document["embargoedUntil"] = rfc3339(published_at)  # scheduled when last written
    authors = article.get("authors") or []
    if authors:
        document["by"] = ", ".join(author["name"] for author in authors)
        document["people"] = [
            {
                "name": a["name"],
                "rel": "author",
                **({"uri": as_uri(a["url"])} if a.get("url") else {}),
            }
            for a in authors
        ]
    subjects = []
    if article.get("section"):
        subjects.append(
            {"name": article["section"], "rel": "section", "literal": article["section"]}
        )
    subjects += [{"name": tag, "rel": "tag", "literal": tag_slug(tag)} for tag in article["tags"]]
    if subjects:
        document["subjects"] = subjects
    associations = [image_association(article["image"])] if article.get("image") else []
    associations += [related_association(item) for item in article.get("related") or []]
    if associations:
        document["associations"] = associations
    return document


def image_association(image: dict) -> dict:
    """The image as a picture with one rendition, its alt text the rendition's title."""
    rendition = {"name": "original", "href": as_uri(image["url"]), "title": image["alt"]}
    media_type = mimetypes.guess_type(image["url"].split("?")[0])[0]
    if media_type:
        rendition["contentType"] = media_type
    descriptions = [{"role": "alt", "contentType": "text/plain", "value": image["alt"]}]
    if image.get("caption"):
        descriptions.append(
            {"role": "caption", "contentType": "text/plain", "value": image["caption"]}
        )
    association = {
        "name": "featureimage",
        "rel": "featureimage",
        "uri": as_uri(image["url"]),
        "type": "picture",
        "descriptions": descriptions,
        "renditions": [rendition],
    }
    if image.get("credit"):
        association["by"] = image["credit"]
    return association


def related_association(item: dict) -> dict:
    """A related item: one of ours by its ninjs uri, an external one by its URL."""
    association = {
        "name": item["title"],
        "rel": "related",
        "uri": uri_of(item["article"]) if "article" in item else as_uri(item["url"]),
        "headlines": [{"role": "main", "contentType": "text/plain", "value": item["title"]}],
        "renditions": [{"name": "web", "href": as_uri(item["url"])}],
    }
    if "article" in item:
        association["type"] = "text"
        association["renditions"][0]["contentType"] = "text/html"
    return association


def as_2x(document: dict) -> dict:
    """A ninjs 3.x document in 2.x spelling; 2.x associations have no `rel`."""
    converted = renamed(document, NAMES_2X)
    for association in converted.get("associations", []):
        association.pop("rel", None)
    return converted


def renamed(value, names: dict[str, str]):
    if isinstance(value, dict):
        return {names.get(key, key): renamed(item, names) for key, item in value.items()}
    if isinstance(value, list):
        return [renamed(item, names) for item in value]
    return value


# --- reading ninjs (import) ----------------------------------------------------------------


def is_ninjs(document: Any) -> bool:
    return isinstance(document, dict) and isinstance(document.get("uri"), str)


def to_article(document: dict, is_ours: Callable[[str], bool] = lambda article_id: False) -> dict:
    """A ninjs 3.x or 2.x document as the write form (ArticleIn validates it).

    A related item with the uri of one of our articles (`urn:uuid:<id>`) stays internal when
    `is_ours(id)` says that article is here; else it is the external link it carries.
    """
    doc = renamed(document, NAMES_3X)
    article: dict[str, Any] = {}
    headline = first_value(doc.get("headlines"), roles=("main",))
    if headline is not None:
        article["headline"] = headline
    lead = first_value(doc.get("descriptions"), roles=("lead", "summary", "text"))
    if lead is not None:
        article["lead"] = lead
    bodies = [b for b in doc.get("bodies") or [] if isinstance(b, dict)]
    html = [b for b in bodies if b.get("contentType") in ("text/html", "application/xhtml+xml")]
    if html:
        article["body"] = html[0].get("value")
    elif bodies:
        article["body_text"] = bodies[0].get("value")
    for name in ("language",):
        if doc.get(name) is not None:
            article[name] = doc[name]
    if doc.get("firstCreated") is not None:
        article["published_at"] = doc["firstCreated"]
    subjects = [s for s in doc.get("subjects") or [] if isinstance(s, dict)]
    for subject in subjects:
        if subject.get("rel") == "section":
            article["section"] = subject.get("literal") or subject.get("name")
    tags = [s.get("name") for s in subjects if s.get("rel") != "section" and s.get("name")]
    if tags:
        article["tags"] = tags
    people = [p for p in doc.get("people") or [] if isinstance(p, dict)]
    authors = [
        {"name": p.get("name"), **({"url": p["uri"]} if p.get("uri") else {})}
        for p in people
        if p.get("rel") == "author"
    ]
    if not authors and doc.get("by"):
        authors = [{"name": doc["by"]}]
    if authors:
        article["authors"] = authors
    related = []
    for association in doc.get("associations") or []:
        if not isinstance(association, dict):
            continue
        if association.get("type") == "picture" and "image" not in article:
            article["image"] = to_image(association)
        elif association.get("type") != "picture":
            related.append(to_related(association, is_ours))
    if related:
        article["related"] = related
    web = web_rendition(doc)
    if web:
        article["canonical_url"] = web
    return article


def first_value(items, roles: tuple[str, ...]) -> str | None:
    """The value of the first item with one of `roles`, else of the first item; HTML as text."""
    items = [item for item in items or [] if isinstance(item, dict) and "value" in item]
    if not items:
        return None
    chosen = next((item for item in items if item.get("role") in roles), items[0])
    value = chosen["value"]
    if isinstance(value, str) and chosen.get("contentType") in (
        "text/html",
        "application/xhtml+xml",
    ):
        return html_to_text(value)
    return value


def web_rendition(doc: dict) -> str | None:
    for rendition in doc.get("renditions") or []:
        if isinstance(rendition, dict) and rendition.get("name") == "web":
            return rendition.get("href")
    return None


def to_image(association: dict) -> dict:
    renditions = [r for r in association.get("renditions") or [] if isinstance(r, dict)]
    href = next((r["href"] for r in renditions if r.get("href")), association.get("uri"))
    descriptions = [d for d in association.get("descriptions") or [] if isinstance(d, dict)]
    alt = first_value([d for d in descriptions if d.get("role") == "alt"], roles=())
    if alt is None:
        alt = next((r["title"] for r in renditions if r.get("title")), None)
    image: dict[str, Any] = {"url": href}
    if alt is not None:
        image["alt"] = alt
    caption = first_value([d for d in descriptions if d.get("role") == "caption"], roles=())
    if caption is not None:
        image["caption"] = caption
    if association.get("by"):
        image["credit"] = association["by"]
    return image


def to_related(association: dict, is_ours: Callable[[str], bool]) -> dict:
    uri = association.get("uri")
    if isinstance(uri, str) and uri.startswith("urn:uuid:") and is_ours(uri[len("urn:uuid:") :]):
        return {"article": uri[len("urn:uuid:") :]}
    renditions = [r for r in association.get("renditions") or [] if isinstance(r, dict)]
    href = next((r["href"] for r in renditions if r.get("href")), None)
    return {"url": href or uri, "title": association.get("name")}
