"""An article as one HTML fragment: the lead, the image, the body and the related links.

Feed items carry it as their content, so a reader that shows only an item's content shows
everything (issue 13); the article page builds itself from the same pieces. Every piece is
escaped here; the body passed the HTML allowlist when it was written (schemas/html.py).
"""

from __future__ import annotations

from html import escape


def text(value: str) -> str:
    return escape(value, quote=False)


def lead_html(article: dict) -> str:
    return f'<p class="lead"><strong>{text(article["lead"])}</strong></p>'


def figure_html(image: dict) -> str:
    """The image as a figure: alt text on the img, caption and credit (as written, e.g.
    "Foto: dpa") below."""
    caption = [text(image["caption"])] if image.get("caption") else []
    if image.get("credit"):
        caption.append(f"<small>{text(image['credit'])}</small>")
    figcaption = f"<figcaption>{' '.join(caption)}</figcaption>" if caption else ""
    img = f'<img src="{escape(image["url"])}" alt="{escape(image["alt"])}">'
    return f"<figure>{img}{figcaption}</figure>"


def related_html(related: list[dict]) -> str:
    if not related:
        return ""
    items = "".join(
        f'<li><a href="{escape(r["url"])}">{text(r["title"])}</a></li>' for r in related
    )
    return f"<h2>Mehr zum Thema</h2><ul>{items}</ul>"


def content_html(article: dict) -> str:
    """Lead, image, body, related links: the whole article for a feed item's content."""
    figure = figure_html(article["image"]) if article["image"] else ""
    return lead_html(article) + figure + article["body"] + related_html(article["related"])
