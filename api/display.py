"""How the HTML pages show an article: local times in German, section names, listing links,
and the metadata crawlers and link previews read (OpenGraph, schema.org NewsArticle).

Pure functions of the article and the settings, so the pages stay plain templates.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from schemas.fields import slugify_text

MONTHS = (
    "Januar Februar März April Mai Juni Juli August September Oktober November Dezember".split()
)

# Display names of the sections the newsroom uses; SECTION_NAMES (JSON) adds or overrides.
SECTION_NAMES = {
    "politik": "Politik",
    "wirtschaft": "Wirtschaft",
    "sport": "Sport",
    "kultur": "Kultur",
    "wissen": "Wissen",
    "panorama": "Panorama",
    "meinung": "Meinung",
    "lokales": "Lokales",
    "digital": "Digital",
    "gesundheit": "Gesundheit",
    "reise": "Reise",
}


def local(moment: datetime, zone: str) -> datetime:
    return moment.astimezone(ZoneInfo(zone))


def local_iso(moment: datetime, zone: str) -> str:
    """ISO 8601 with the site's offset, to the second: 2026-11-28T13:47:00+01:00."""
    return local(moment, zone).replace(microsecond=0).isoformat()


def german_time(moment: datetime, zone: str) -> str:
    """E.g. "28. November 2026, 13:47 Uhr", in the site's time zone."""
    at = local(moment, zone)
    return f"{at.day}. {MONTHS[at.month - 1]} {at.year}, {at.hour}:{at.minute:02d} Uhr"


def section_name(section: str, names: dict[str, str]) -> str:
    """The configured name, else the slug with spaces and a capital: "us-wahl" → "Us wahl"."""
    if section in names:
        return names[section]
    words = section.replace("-", " ")
    return words[:1].upper() + words[1:]


def was_updated(article: dict) -> bool:
    """Whether the page should say "aktualisiert": an edit after publication, not a typo fix
    within the first minute."""
    return article["updated_at"] - article["published_at"] > timedelta(minutes=1)


def author_path(name: str) -> str | None:
    """The page listing an author's articles (none for a name without letters or digits)."""
    slug = slugify_text(name)
    return f"/authors/{slug}" if slug else None


def open_graph(article: dict, config: dict, base: str) -> list[tuple[str, str]]:
    """OpenGraph properties (ogp.me, type article) as (property, content) pairs."""
    zone = config["SITE_TIMEZONE"]
    tags = [
        ("og:type", "article"),
        ("og:title", article["headline"]),
        ("og:description", article["lead"]),
        ("og:url", article["url"]),
        ("og:site_name", config["SITE_TITLE"]),
    ]
    if article["image"]:
        tags += [("og:image", article["image"]["url"]), ("og:image:alt", article["image"]["alt"])]
    tags += [
        ("article:published_time", local_iso(article["published_at"], zone)),
        ("article:modified_time", local_iso(article["updated_at"], zone)),
    ]
    if article["section"]:
        tags.append(("article:section", section_name(article["section"], config["SECTION_NAMES"])))
    tags += [("article:tag", tag) for tag in article["tags"]]
    for author in article["authors"]:
        path = author_path(author["name"])
        if path:
            tags.append(("article:author", base + path))
    return tags


def news_article(article: dict, config: dict, base: str) -> dict:
    """schema.org NewsArticle as JSON-LD (what Google's article rich results read)."""
    zone = config["SITE_TIMEZONE"]
    publisher = {
        "@type": "Organization",
        "name": config["SITE_TITLE"],
        "url": base + "/",
        "logo": {"@type": "ImageObject", "url": base + "/static/favicon.svg"},
    }
    authors = []
    for author in article["authors"]:
        person = {"@type": "Person", "name": author["name"]}
        path = author_path(author["name"])
        if author.get("url") or path:
            person["url"] = author.get("url") or base + path
        authors.append(person)
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "mainEntityOfPage": {"@type": "WebPage", "@id": article["url"]},
        "url": article["url"],
        "headline": article["headline"],
        "description": article["lead"],
        "datePublished": local_iso(article["published_at"], zone),
        "dateModified": local_iso(article["updated_at"], zone),
        "inLanguage": article["language"],
        "author": authors or [publisher],
        "publisher": publisher,
    }
    if article["image"]:
        image = {"@type": "ImageObject", "url": article["image"]["url"]}
        if article["image"].get("caption"):
            image["caption"] = article["image"]["caption"]
        if article["image"].get("credit"):
            image["creditText"] = article["image"]["credit"]
        data["image"] = [image]
    if article["section"]:
        data["articleSection"] = section_name(article["section"], config["SECTION_NAMES"])
    if article["tags"]:
        data["keywords"] = article["tags"]
    return data
