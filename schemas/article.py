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

# The limits of an article's fields, for the write form and its merge patch alike
HEADLINE, LEAD, BODY_TEXT = 200, 600, 100_000  # characters
ALT, CAPTION, CREDIT = 300, 1000, 200  # an image's texts, characters
SECTION, TAG = 60, 50  # characters
RELATED, TAGS, AUTHORS = 20, 20, 10  # items
STATUSES = ["draft", "published"]


class RelatedLink(Schema):
    """An external related item."""

    url = HttpUrl(required=True)
    title = PlainText(200, required=True)


class RelatedArticle(Schema):
    """An internal related item: another article that exists, by id."""

    article = PlainText(64, required=True, metadata={"description": "Another article's id."})


RELATED_LINK, RELATED_ARTICLE = RelatedLink(), RelatedArticle()


class RelatedItem(fields.Field):
    """External `{url, title}` or internal `{article}`, never both."""

    def _deserialize(self, value, attr, data, **kwargs) -> dict:
        if not isinstance(value, dict):
            raise ValidationError("Give {url, title} (external) or {article} (internal).")
        schema = RELATED_ARTICLE if "article" in value else RELATED_LINK
        return schema.load(value)

    def json_schema(self) -> dict:
        return {
            "oneOf": [
                {"$ref": "#/components/schemas/RelatedLink"},
                {"$ref": "#/components/schemas/RelatedArticle"},
            ]
        }


class Author(Schema):
    name = PlainText(100, required=True)
    url = HttpUrl(allow_none=True)


class Image(Schema):
    url = HttpUrl(required=True)
    alt = PlainText(ALT, required=True)
    caption = PlainText(CAPTION, multiline=True, allow_none=True)
    credit = PlainText(CREDIT, allow_none=True)


BODY_XOR_BODY_TEXT = {
    # exactly one of body and body_text, said without oneOf so that client generators keep
    # one model class
    "if": {"required": ["body"]},
    "then": {"not": {"required": ["body_text"]}},
    "else": {"required": ["body_text"]},
}
TAGS_RULE = (
    f"Labels of 1 to {TAG} characters, each with a letter or digit, and no two alike by their slug"
    " (Köln, köln and koeln are one tag)."
)
RELATED_RULE = (
    "No two items may point to the same URL or article; an internal item names an article"
    " that exists and is not this one."
)
EXAMPLE_IN = {
    "headline": "Stadtrat beschließt Haushalt für 2027",
    "lead": "Nach sechs Stunden Debatte stimmte eine knappe Mehrheit zu.",
    "body_text": "Die Sitzung begann am Nachmittag.\nAm Abend fiel die Entscheidung.",
    "section": "politik",
    "tags": ["Haushalt", "Stadtrat"],
    "authors": [{"name": "Jana Beispiel"}],
    "related": [{"url": "https://example.org/haushalt-2027.pdf", "title": "Der Haushaltsplan"}],
    "status": "published",
}


class ArticleIn(Schema):
    """An article as a newsroom writes it (POST and PUT)."""

    class Meta:
        json_schema = BODY_XOR_BODY_TEXT

    slug = ArticleSlug(
        allow_none=True,
        metadata={"description": "Made from the headline when missing; PUT keeps the current."},
    )
    headline = PlainText(HEADLINE, required=True)
    lead = PlainText(LEAD, multiline=True, required=True)
    body = SafeHtml(metadata={"description": "Give body or body_text, not both."})
    body_text = PlainText(
        BODY_TEXT,
        multiline=True,
        metadata={"description": "Plain text, one paragraph a line; give body or body_text."},
    )
    related = fields.List(
        RelatedItem(),
        validate=validate.Length(max=RELATED),
        load_default=list,
        metadata={"description": RELATED_RULE},
    )
    language = LanguageTag(allow_none=True, load_default=None)
    section = Slug(max_length=SECTION, allow_none=True, load_default=None)
    tags = fields.List(
        PlainText(TAG),
        validate=validate.Length(max=TAGS),
        load_default=list,
        metadata={"description": TAGS_RULE},
    )
    authors = fields.List(
        fields.Nested(Author), validate=validate.Length(max=AUTHORS), load_default=list
    )
    image = fields.Nested(Image, allow_none=True, load_default=None)
    status = fields.String(validate=validate.OneOf(STATUSES), load_default="draft")
    published_at = Rfc3339DateTime(
        allow_none=True,
        load_default=None,
        metadata={"description": "In the future: scheduled. Default: the first publication."},
    )
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


class ImagePatch(Schema):
    """Image fields to change; merged into the article's image."""

    url = HttpUrl()
    alt = PlainText(ALT)
    caption = PlainText(CAPTION, multiline=True, allow_none=True)
    credit = PlainText(CREDIT, allow_none=True)


class ArticlePatch(Schema):
    """A JSON merge patch (RFC 7396) of ArticleIn: only the fields named change.

    `null` removes a field, so that its default applies again (`section` → none). The merged
    article must be a valid ArticleIn (422 otherwise): an article has body or body_text, and
    an image has url and alt.
    """

    slug = ArticleSlug(allow_none=True, metadata={"description": "null: keep the current slug."})
    headline = PlainText(HEADLINE)
    lead = PlainText(LEAD, multiline=True)
    body = SafeHtml(allow_none=True, metadata={"description": "Replaces body_text too."})
    body_text = PlainText(
        BODY_TEXT,
        multiline=True,
        allow_none=True,
        metadata={"description": "Plain text, one paragraph a line; replaces body too."},
    )
    related = fields.List(
        RelatedItem(),
        validate=validate.Length(max=RELATED),
        allow_none=True,
        metadata={"description": RELATED_RULE},
    )
    language = LanguageTag(allow_none=True)
    section = Slug(max_length=SECTION, allow_none=True)
    tags = fields.List(
        PlainText(TAG),
        validate=validate.Length(max=TAGS),
        allow_none=True,
        metadata={"description": TAGS_RULE},
    )
    authors = fields.List(
        fields.Nested(Author), validate=validate.Length(max=AUTHORS), allow_none=True
    )
    image = fields.Nested(ImagePatch, allow_none=True)
    status = fields.String(
        validate=validate.OneOf(STATUSES),
        metadata={"description": "draft unpublishes; a published article stays published."},
    )
    published_at = Rfc3339DateTime(allow_none=True)
    canonical_url = HttpUrl(allow_none=True)


class RelatedOut(Schema):
    title = fields.String(required=True)
    url = fields.String(required=True)
    article = fields.String(metadata={"description": "The id, for internal items only."})


def server_set(description: str) -> dict:
    return {"readOnly": True, "description": description}


class ArticleOut(Schema):
    """An article as every reader sees it."""

    id = fields.String(required=True, metadata=server_set("Assigned by the server; never changes."))
    slug = fields.String(required=True)
    url = fields.String(
        required=True,
        metadata={"description": "canonical_url, or the article's page here."},
    )
    headline = fields.String(required=True)
    lead = fields.String(required=True)
    body = fields.String(required=True)
    body_text = fields.String(required=True)
    related = fields.List(fields.Nested(RelatedOut), required=True)
    language = fields.String(required=True)
    section = fields.String(required=True, allow_none=True)
    tags = fields.List(fields.String(), required=True)
    authors = fields.List(fields.Nested(Author), required=True)
    image = fields.Nested(Image, required=True, allow_none=True)
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    published_at = Rfc3339DateTime(required=True, allow_none=True)
    created_at = Rfc3339DateTime(required=True, metadata=server_set("Kept by the server."))
    updated_at = Rfc3339DateTime(required=True, metadata=server_set("Kept by the server."))
    version = fields.Integer(
        required=True, metadata=server_set("1 on creation, +1 on every write.")
    )


NINJS = {
    "type": "object",
    "description": "With ?format=ninjs or ninjs2: the article as IPTC ninjs 3.1 or 2.2.",
}


SNIPPET = (
    "Up to 30 words of the lead, or of the body when the lead holds no word of the query,"
    " from a little before the first one. HTML: the text escaped, each word of the query (any"
    " form of it, by its stem; excluded words aside) in <mark>…</mark>, and … where the text"
    " was cut. When only the headline matched, the lead's beginning."
)
# An item of a search (q, format=json); registered as a component by api/openapi.py. The
# stored documents are spliced with their snippet, never dumped through a schema.
SEARCH_HIT = {
    "description": "An article found by a search (`q`), with its snippet (format=json).",
    "allOf": [
        {"$ref": "#/components/schemas/ArticleOut"},
        {
            "type": "object",
            "required": ["snippet"],
            "properties": {"snippet": {"type": "string", "readOnly": True, "description": SNIPPET}},
        },
    ],
}


class ArticleOrNinjs(fields.Raw):
    """An article as ArticleOut, or as ninjs when the request asked for it (?format=); in a
    list (`found`), a search hit with its snippet too."""

    def __init__(self, *, found: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.found = found

    def json_schema(self) -> dict:
        kinds = [{"$ref": "#/components/schemas/ArticleOut"}, NINJS]
        if self.found:
            kinds.insert(0, {"$ref": "#/components/schemas/SearchHit"})
        return {"anyOf": kinds + ([{"type": "null"}] if self.allow_none else [])}


class ArticleList(Schema):
    items = fields.List(ArticleOrNinjs(found=True), required=True)
    next_cursor = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "Pass as `cursor` for the next page; null on the last."},
    )
