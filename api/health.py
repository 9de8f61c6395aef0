"""GET /health: 200 when the app and its database answer."""

from flask import Blueprint, current_app, jsonify
from sqlalchemy.exc import SQLAlchemyError

from api.errors import problem

bp = Blueprint("health", __name__)


@bp.get("/health")
def health():
    try:
        current_app.extensions["store"].ping()
    except SQLAlchemyError:
        return problem(503, "Service Unavailable", "The database does not answer.")
    return jsonify(status="ok")
