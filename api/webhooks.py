"""/v1/webhooks: subscriptions that receive every change, signed (delivery: api/delivery.py)."""

from __future__ import annotations

from flask import Response, abort, request
from flask.views import MethodView
from flask_smorest import Blueprint

from api import jsonbody
from api.articles import render_json
from api.auth import current_token_id
from api.openapi import headers, operation, webhook_links
from api.store import get_store
from api.urls import base_url
from schemas.webhooks import WebhookCreated, WebhookIn, WebhookList, WebhookOut, WebhookPatch

blp = Blueprint(
    "webhooks",
    __name__,
    url_prefix="/v1/webhooks",
    description="Webhooks: every change POSTed to a URL, signed per Standard Webhooks.",
)
blp.ARGUMENTS_PARSER = jsonbody.PARSER  # before the routes below read it

WEBHOOK_OUT = WebhookOut()


@blp.before_request
def every_request_needs_a_token():
    """Hooks name their receivers' URLs, so reading them needs a token as well (else 401)."""
    if request.method != "OPTIONS":
        current_token_id()
    if request.method in ("POST", "PATCH") and request.mimetype != "application/json":
        abort(415, "Send the webhook as application/json.")


def json_response(document: dict, status: int = 200) -> Response:
    return Response(render_json(document), status=status, mimetype="application/json")


@blp.route("")
class Webhooks(MethodView):
    @blp.response(200, WebhookList)
    @blp.doc(**operation("listWebhooks", 401, token="required"))
    def get(self):
        """Every webhook, with its delivery state"""
        hooks = get_store().webhooks()
        return json_response({"webhooks": WEBHOOK_OUT.dump(hooks, many=True)})

    @blp.arguments(WebhookIn)
    @blp.response(201, WebhookCreated, headers=headers("Location"))
    @blp.doc(
        **operation(
            "createWebhook",
            400,
            401,
            415,
            422,
            token="required",
            links={201: webhook_links("$response.body#/id")},
        )
    )
    def post(self, data):
        """Register a webhook; the answer carries its signing secret, shown only this once"""
        hook = get_store().create_webhook(data["url"], data.get("description"), data.get("since"))
        response = json_response(WebhookCreated().dump(hook), 201)
        response.headers["Location"] = f"{base_url()}/v1/webhooks/{hook['id']}"
        return response


@blp.route("/<hook_id>")
class OneWebhook(MethodView):
    @blp.response(200, WebhookOut)
    @blp.doc(**operation("getWebhook", 401, 404, token="required"))
    def get(self, hook_id):
        """One webhook, with its delivery state"""
        return json_response(WEBHOOK_OUT.dump(found(hook_id)))

    @blp.arguments(WebhookPatch)
    @blp.response(200, WebhookOut)
    @blp.doc(**operation("patchWebhook", 400, 401, 404, 415, 422, token="required"))
    def patch(self, data, hook_id):
        """Enable a disabled webhook again (it resumes where it stopped), or disable one"""
        store = get_store()
        found(hook_id)
        if data["enabled"]:
            store.enable_webhook(hook_id)
        else:
            store.disable_webhook(hook_id, "disabled through the API")
        return json_response(WEBHOOK_OUT.dump(found(hook_id)))

    @blp.response(204)
    @blp.doc(**operation("deleteWebhook", 401, 404, token="required"))
    def delete(self, hook_id):
        """Remove a webhook; nothing more is sent to it"""
        if not get_store().delete_webhook(hook_id):
            abort(404, f"No webhook with id {hook_id!r}.")
        return Response(status=204)


def found(hook_id: str) -> dict:
    hook = get_store().webhook(hook_id)
    if hook is None:
        abort(404, f"No webhook with id {hook_id!r}.")
    return hook
