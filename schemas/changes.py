"""What /v1/changes, /v1/sections and /v1/tags answer (for dumping and the OpenAPI document)."""

from marshmallow import Schema, fields

from schemas.article import ArticleOut
from schemas.fields import Rfc3339DateTime


class ChangeOut(Schema):
    seq = fields.Integer(required=True)
    type = fields.String(required=True, metadata={"enum": ["upsert", "delete"]})
    id = fields.String(required=True)
    version = fields.Integer(required=True)
    at = Rfc3339DateTime(required=True)
    article = fields.Nested(ArticleOut, allow_none=True)


class ChangesPage(Schema):
    changes = fields.List(fields.Nested(ChangeOut))
    next_since = fields.Integer(metadata={"description": "Pass as `since` to continue."})


class SectionCount(Schema):
    section = fields.String()
    count = fields.Integer()


class SectionList(Schema):
    sections = fields.List(fields.Nested(SectionCount))


class TagCount(Schema):
    tag = fields.String(metadata={"description": "The tag's slug, used by ?tag= filters."})
    label = fields.String()
    count = fields.Integer()


class TagList(Schema):
    tags = fields.List(fields.Nested(TagCount))
