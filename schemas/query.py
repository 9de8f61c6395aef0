"""Query-string arguments of lists, feeds and the change stream."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from schemas.fields import LanguageTag, PlainText, Rfc3339DateTime, Slug
from schemas.search import RANKED, SearchText


class QuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE  # unknown query parameters are ignored, as on most public APIs
        query_string = True  # text fields document what api/querystring.py lets through


class FormatQuery(QuerySchema):
    format = fields.String(
        validate=validate.OneOf(["json", "ninjs", "ninjs2"]),
        load_default="json",
        metadata={
            "description": "`json` (Newswire's own), `ninjs` (IPTC ninjs 3.1) or `ninjs2`"
            " (IPTC ninjs 2.2)."
        },
    )


class ArticleListQuery(FormatQuery):
    section = Slug(max_length=60)
    tag = fields.List(
        PlainText(50),
        validate=validate.Length(max=20),  # no article has more
        metadata={"description": "Repeatable, up to 20 times; all must match."},
    )
    language = LanguageTag()
    author = PlainText(100)
    q = SearchText()
    sort = fields.String(
        validate=validate.OneOf(["published", "relevance"]),
        load_default="published",
        metadata={
            "description": "published: newest first. relevance (needs q): the best matches among"
            f" the newest {RANKED:,}, headline above lead above body, ties newest first. A"
            " match's score comes from its own words only (SQLite: BM25F term frequencies"
            " without statistics of the archive; PostgreSQL: ts_rank_cd), so the pages of a"
            " cursor keep their order while articles are added."
        },
    )
    published_after = Rfc3339DateTime()
    published_before = Rfc3339DateTime()
    updated_after = Rfc3339DateTime()
    limit = fields.Integer(validate=validate.Range(1, 100), load_default=20)
    cursor = fields.String(validate=validate.Length(max=500))

    @validates_schema
    def relevance_needs_q(self, data, **kwargs):
        if data.get("sort") == "relevance" and not data.get("q"):
            raise ValidationError("sort=relevance needs q.", "sort")


class FeedQuery(QuerySchema):
    section = Slug(max_length=60)
    tag = fields.List(PlainText(50), validate=validate.Length(max=20))
    language = LanguageTag()
    q = SearchText()  # a saved search, newest first
    limit = fields.Integer(validate=validate.Range(1, 100), load_default=50)


class ArchiveQuery(FeedQuery):
    """A feed archive page: the feed's filters, and where a busy day continues. A saved
    search (`q`) has no archive, so it is ignored here like any unknown parameter; `limit`
    is not used."""

    class Meta(FeedQuery.Meta):
        exclude = ("q",)

    cursor = fields.String(validate=validate.Length(max=500))


class ChangesQuery(FormatQuery):
    since = fields.Integer(validate=validate.Range(0, 2**63 - 1), load_default=0)
    limit = fields.Integer(validate=validate.Range(1, 1000), load_default=100)
    wait = fields.Integer(
        validate=validate.Range(0, 60),
        load_default=0,
        metadata={
            "description": "Long-poll: with no change after `since`, hold the request up to"
            " this many seconds and answer as soon as one commits (an empty page when none"
            " does)."
        },
    )
