"""What /v1/changes, /v1/sections and /v1/tags answer (for dumping and the OpenAPI document)."""

from marshmallow import Schema, fields, validate

from schemas.article import ArticleOrNinjs
from schemas.fields import Rfc3339DateTime


class ChangeOut(Schema):
    seq = fields.Integer(required=True)
    type = fields.String(required=True, validate=validate.OneOf(["upsert", "delete"]))
    id = fields.String(required=True)
    version = fields.Integer(required=True)
    at = Rfc3339DateTime(required=True)
    article = ArticleOrNinjs(
        required=True,
        allow_none=True,
        metadata={"description": "The whole public article for an upsert; null for a delete."},
    )


class ChangesPage(Schema):
    changes = fields.List(fields.Nested(ChangeOut), required=True)
    next_since = fields.Integer(
        required=True, metadata={"description": "Pass as `since` to continue."}
    )


class SectionCount(Schema):
    section = fields.String(required=True)
    count = fields.Integer(required=True)


class SectionList(Schema):
    sections = fields.List(fields.Nested(SectionCount), required=True)


class TagCount(Schema):
    tag = fields.String(
        required=True, metadata={"description": "The tag's slug, used by ?tag= filters."}
    )
    label = fields.String(required=True)
    count = fields.Integer(required=True)


class TagList(Schema):
    tags = fields.List(fields.Nested(TagCount), required=True)
