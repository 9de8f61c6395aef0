"""The article as it is written (ArticleIn) and as it is read (ArticleOut)."""

from __future__ import annotations

from html import escape

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from schemas.fields import (
    ArticleSlug,
    HttpUrl,
    LanguageTag,
    PlainText,
    Rfc3339DateTime,
    SafeHtml,
    Slug,
    tag_slug,
)
from schemas.html import html_to_text


class RelatedItem(Schema):
    """External `{url, title}` or internal `{article}`, never both."""

    url = HttpUrl()
    title = PlainText(200)
    article = PlainText(64)

    @validates_schema
    def one_kind(self, data, **kwargs):
        if "article" in data:
            extra = sorted({"url", "title"} & set(data))
            if extra:
                raise ValidationError("An internal item has only `article`.", field_name=extra[0])
            return
        for name in ("url", "title"):
            if name not in data:
                raise ValidationError(
                    "Give `url` and `title` (external) or `article` (internal).",
                    field_name=name,
                )


class Author(Schema):
    name = PlainText(100, required=True)
    url = HttpUrl(allow_none=True)


class Image(Schema):
    url = HttpUrl(required=True)
    alt = PlainText(300, required=True)
    caption = PlainText(1000, multiline=True, allow_none=True)
    credit = PlainText(200, allow_none=True)


class ArticleIn(Schema):
    """An article as a newsroom writes it (POST, PUT, and PATCH after merging)."""

    slug = ArticleSlug(allow_none=True)
    headline = PlainText(200, required=True)
    lead = PlainText(600, multiline=True, required=True)
    body = SafeHtml(metadata={"description": "HTML within the allowlist; or give body_text."})
    body_text = PlainText(
        100_000, multiline=True, metadata={"description": "Plain text, one paragraph a line."}
    )
    related = fields.List(
        fields.Nested(RelatedItem), validate=validate.Length(max=20), load_default=list
    )
    language = LanguageTag(allow_none=True, load_default=None)
    section = Slug(max_length=60, allow_none=True, load_default=None)
    tags = fields.List(PlainText(50), validate=validate.Length(max=20), load_default=list)
    authors = fields.List(
        fields.Nested(Author), validate=validate.Length(max=10), load_default=list
    )
    image = fields.Nested(Image, allow_none=True, load_default=None)
    status = fields.String(validate=validate.OneOf(["draft", "published"]), load_default="draft")
    published_at = Rfc3339DateTime(allow_none=True, load_default=None)
    canonical_url = HttpUrl(allow_none=True, load_default=None)

    @validates_schema
    def body_xor_body_text(self, data, **kwargs):
        if ("body" in data) == ("body_text" in data):
            raise ValidationError("Give exactly one of body or body_text.", field_name="body")

    @validates_schema
    def no_duplicates(self, data, **kwargs):
        errors: dict = {}
        seen: set = set()
        for i, item in enumerate(data.get("related") or []):
            target = ("article", item["article"]) if "article" in item else ("url", item["url"])
            if target in seen:
                errors.setdefault("related", {})[i] = ["Duplicate of an earlier related item."]
            seen.add(target)
        slugs: set = set()
        for i, label in enumerate(data.get("tags") or []):
            slug = tag_slug(label)
            if not slug:
                errors.setdefault("tags", {})[i] = ["A tag needs a letter or digit."]
            elif slug in slugs:
                errors.setdefault("tags", {})[i] = ["Duplicate tag."]
            slugs.add(slug)
        if errors:
            raise ValidationError(errors)

    @post_load
    def complete(self, data, **kwargs) -> dict:
        """Both body forms, tag slugs, and every key present, so the store needs no guessing."""
        if "body_text" in data:
            paragraphs = [line.strip() for line in data["body_text"].split("\n") if line.strip()]
            data["body"] = "".join(f"<p>{escape(p, quote=False)}</p>" for p in paragraphs)
            data["body_text"] = "\n".join(paragraphs)
        else:
            data["body_text"] = html_to_text(data["body"])
        data["tags"] = [{"label": label, "slug": tag_slug(label)} for label in data["tags"]]
        data.setdefault("slug", None)
        return data


class RelatedOut(Schema):
    title = fields.String(required=True)
    url = fields.String(required=True)
    article = fields.String(metadata={"description": "The id, for internal items only."})


class ArticleOut(Schema):
    """An article as every reader sees it."""

    id = fields.String(required=True)
    slug = fields.String(required=True)
    url = fields.String(required=True)
    headline = fields.String(required=True)
    lead = fields.String(required=True)
    body = fields.String(required=True)
    body_text = fields.String(required=True)
    related = fields.List(fields.Nested(RelatedOut))
    language = fields.String()
    section = fields.String(allow_none=True)
    tags = fields.List(fields.String())
    authors = fields.List(fields.Nested(Author))
    image = fields.Nested(Image, allow_none=True)
    status = fields.String()
    published_at = Rfc3339DateTime(allow_none=True)
    created_at = Rfc3339DateTime()
    updated_at = Rfc3339DateTime()
    version = fields.Integer()


class ArticleList(Schema):
    items = fields.List(fields.Nested(ArticleOut))
    next_cursor = fields.String(allow_none=True)
