"""Webhook subscriptions: what POST and PATCH /v1/webhooks take, and what they answer."""

from __future__ import annotations

from flask import current_app
from marshmallow import Schema, ValidationError, fields, validate, validates

from api.outbound import Refused, checked_address
from schemas.fields import HttpUrl, JsonBoolean, JsonInteger, PlainText, Rfc3339DateTime


class WebhookIn(Schema):
    url = HttpUrl(
        required=True,
        validate=validate.Length(max=2000),
        metadata={
            "description": "Where changes are POSTed; its host must resolve to public"
            " addresses only (unless WEBHOOK_ALLOW_PRIVATE is set)."
        },
    )
    description = PlainText(200)
    since = JsonInteger(
        validate=validate.Range(0, 2**63 - 1),
        metadata={
            "description": "Deliver the changes after this seq (default: the current"
            " head, so only what changes from now on). A seq beyond the head is kept as"
            " given: delivery starts with the first change after it."
        },
    )

    @validates("url")
    def reachable_publicly(self, value: str, **_) -> None:
        try:
            checked_address(value, current_app.config["WEBHOOK_ALLOW_PRIVATE"])
        except Refused as exc:
            raise ValidationError(str(exc)) from exc


class WebhookPatch(Schema):
    enabled = JsonBoolean(
        required=True, metadata={"description": "true enables a disabled hook again."}
    )


class WebhookOut(Schema):
    id = fields.String()
    url = fields.String()
    description = fields.String(allow_none=True)
    created_at = Rfc3339DateTime()
    position = fields.Integer(
        metadata={"description": "seq of the last change the receiver acknowledged."}
    )
    enabled = fields.Boolean()
    disabled_reason = fields.String(allow_none=True)
    last_success_at = Rfc3339DateTime(allow_none=True)
    last_error = fields.String(allow_none=True)
    last_error_at = Rfc3339DateTime(allow_none=True)
    failures = fields.Integer(metadata={"description": "Failed attempts in a row."})
    next_attempt_at = Rfc3339DateTime(allow_none=True)


class WebhookCreated(WebhookOut):
    secret = fields.String(
        metadata={"description": "The signing secret (Standard Webhooks, whsec_…); shown once."}
    )


class WebhookList(Schema):
    webhooks = fields.List(fields.Nested(WebhookOut))
