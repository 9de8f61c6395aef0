"""The error document every error answer carries (RFC 9457), for the OpenAPI document."""

from marshmallow import Schema, fields


class Problem(Schema):
    type = fields.String(required=True, metadata={"example": "about:blank"})
    title = fields.String(required=True, metadata={"example": "Unprocessable Content"})
    status = fields.Integer(required=True, metadata={"example": 422})
    detail = fields.String(
        required=True, metadata={"example": "The request has invalid fields: headline."}
    )
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={
            "description": "For 400 and 422: each invalid field's path (`related.1.url`) and its"
            " messages.",
            "example": {"headline": ["Must be one line: no line breaks."]},
        },
    )
