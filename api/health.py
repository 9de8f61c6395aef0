"""GET /health: 200 when the app can read and write its database, else 503 saying why."""

from flask import Blueprint, jsonify

from api.errors import unavailable
from api.store import get_store

bp = Blueprint("health", __name__)


@bp.get("/health")
def health():
    trouble = get_store().health()
    if trouble:
        return unavailable(trouble)
    return jsonify(status="ok")
