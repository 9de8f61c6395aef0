"""GET /health: 200 when the app and its database answer."""

from flask import Blueprint, jsonify
from sqlalchemy.exc import SQLAlchemyError

from api.errors import problem
from api.store import get_store

bp = Blueprint("health", __name__)


@bp.get("/health")
def health():
    try:
        get_store().ping()
    except SQLAlchemyError:
        return problem(503, "Service Unavailable", "The database does not answer.")
    return jsonify(status="ok")
