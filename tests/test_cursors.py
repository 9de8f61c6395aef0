"""Issue 10.8: cursors are signed with a key nobody else has, and what a signed cursor holds is
checked as strictly as any input."""

from __future__ import annotations

import json
import os
import stat

import pytest
from flask import Flask
from itsdangerous import URLSafeSerializer
from itsdangerous.encoding import base64_encode

from api import create_app
from tests.test_errors import assert_problem

# signed with the constant that was once the default key, published in the source
FORGED = "WyIwMDAxLTAxLTAxVDAwOjAwOjAwKzAxOjAwIiwgIngiXQ.901ihD-8XrEm-Mm8"
OLD_PUBLIC_KEY = "newswire-dev-cursor-key"
AT = "2026-11-20T09:30:00+00:00"

BAD_PAYLOADS = {
    "overflowing time": ["0001-01-01T00:00:00+01:00", "x"],
    "overflowing time, late": ["9999-12-31T23:59:59-01:00", "x"],
    "naive time": ["2026-11-20T09:30:00", "x"],
    "not a time": ["gestern", "x"],
    "NUL in the id": [AT, "a\x00b"],
    "surrogate in the id": [AT, "\ud800"],
    "id too long": [AT, "a" * 500],
    "id not a string": [AT, 12],
    "empty id": [AT, ""],
    "three items": [AT, "x", "y"],
    "one item": [AT],
    "an object": {"at": AT, "id": "x"},
    "a string": "x",
    "null": None,
}


def signed(app, payload) -> str:
    """A cursor signed with the app's key (JSON escapes let it hold a lone surrogate)."""
    serializer = app.extensions["store"].cursors.serializer
    return serializer.make_signer().sign(base64_encode(json.dumps(payload).encode())).decode()


@pytest.mark.parametrize("payload", BAD_PAYLOADS.values(), ids=BAD_PAYLOADS.keys())
def test_signed_cursor_holding_anything_else_is_400(app, client, create, payload):
    create()
    cursor = signed(app, payload)
    for _ in range(2):  # and the connection survives it (PostgreSQL refused NUL)
        assert_problem(client.get(f"/v1/articles?cursor={cursor}"), 400)
    assert len(client.get("/v1/articles").get_json()["items"]) == 1


def test_signed_cursor_of_the_right_shape_works(app, client, create):
    article = create(published_at="2026-11-19T09:30:00Z")
    cursor = signed(app, [AT, "z" * 36])
    items = client.get(f"/v1/articles?cursor={cursor}").get_json()["items"]
    assert [a["id"] for a in items] == [article["id"]]


@pytest.fixture
def unconfigured_app(database_url, tmp_path, monkeypatch):
    """An app as `make run` starts it: no SECRET_KEY, its instance folder under tmp_path."""
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setattr(Flask, "auto_find_instance_path", lambda self: str(tmp_path / "inst"))

    def make():
        app = create_app({"TESTING": True, "DATABASE_URL": database_url})
        apps.append(app)
        return app

    apps: list = []
    yield make
    for app in apps:
        app.extensions["store"].close()


def test_without_secret_key_a_random_key_is_made_once_and_kept(unconfigured_app, tmp_path):
    first = unconfigured_app()
    key_file = tmp_path / "inst" / "cursor-secret"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    key = key_file.read_text().strip()
    assert len(key) >= 32 and key != OLD_PUBLIC_KEY
    assert first.config["CURSOR_SECRET"] == key
    # another worker, or the next start, signs with the same key
    assert unconfigured_app().config["CURSOR_SECRET"] == key
    assert_problem(first.test_client().get(f"/v1/articles?cursor={FORGED}"), 400)
    public = URLSafeSerializer(OLD_PUBLIC_KEY, salt="newswire.list-cursor").dumps([AT, "x"])
    assert_problem(first.test_client().get(f"/v1/articles?cursor={public}"), 400)


def test_secret_key_from_the_environment_wins(unconfigured_app, tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    assert unconfigured_app().config["CURSOR_SECRET"] == "from-the-environment"
    assert not (tmp_path / "inst" / "cursor-secret").exists()
