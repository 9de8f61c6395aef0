"""Entry point for gunicorn (`wsgi:app`) and for `flask news …`."""

from api import create_app

app = create_app()
