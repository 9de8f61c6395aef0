"""The error document every error answer carries (RFC 9457), for the OpenAPI document."""

from marshmallow import Schema, fields


class Problem(Schema):
    type = fields.String(metadata={"example": "about:blank"})
    title = fields.String(metadata={"example": "Unprocessable Content"})
    status = fields.Integer(metadata={"example": 422})
    detail = fields.String(metadata={"example": "The request has invalid fields: headline."})
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "For 400 and 422: each invalid field's path and messages."},
    )
