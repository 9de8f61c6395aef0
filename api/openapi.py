"""The OpenAPI document and /docs: flask-smorest's Api, with errors as we send them."""

from __future__ import annotations

import swagger_ui_bundle
from flask import Flask, send_from_directory
from flask_smorest import Api

from api.errors import problem_for
from schemas.fields import Rfc3339DateTime
from schemas.problem import Problem


class NewswireApi(Api):
    """flask-smorest's Api, documenting errors as they are sent: problem+json (RFC 9457)."""

    ERROR_SCHEMA = Problem

    def _register_responses(self):
        self.DEFAULT_RESPONSE_CONTENT_TYPE = "application/problem+json"
        try:
            super()._register_responses()  # the error responses of every status code
        finally:
            self.DEFAULT_RESPONSE_CONTENT_TYPE = Api.DEFAULT_RESPONSE_CONTENT_TYPE

    def handle_http_exception(self, error):
        """The HTTP error handler flask-smorest registers: ours, so order does not matter."""
        return problem_for(error)


def init_app(app: Flask) -> NewswireApi:
    api = NewswireApi(
        app, spec_kwargs={"info": {"description": "A REST API for a structured news feed."}}
    )
    api.register_field(Rfc3339DateTime, "string", "date-time")
    api.spec.components.security_scheme(
        "token", {"type": "http", "scheme": "bearer", "description": "flask news token create"}
    )

    @app.get("/docs/assets/<path:filename>")
    def swagger_assets(filename: str):
        """Swagger UI's files, served by us so that /docs works offline."""
        return send_from_directory(swagger_ui_bundle.swagger_ui_path, filename)

    return api
