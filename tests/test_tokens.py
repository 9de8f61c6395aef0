"""Write tokens over their lifetime: listed, used, expiring, revoked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest


def post(client, token: str, article_data: dict):
    return client.post(
        "/v1/articles", json=article_data, headers={"Authorization": f"Bearer {token}"}
    )


def new_token(runner, *args: str) -> str:
    result = runner.invoke(args=["news", "token", "create", *args])
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


def listing(runner) -> dict[str, list[str]]:
    """`token list` as {name: its line}; the header line checked on the way."""
    result = runner.invoke(args=["news", "token", "list"])
    assert result.exit_code == 0, result.output
    header, *lines = result.stdout.splitlines()
    assert header.split() == ["NAME", "CREATED", "LAST", "USED", "EXPIRES", "STATE"]
    return {line.split()[0]: line for line in lines}


def test_list_shows_names_dates_and_use_but_never_the_secret(app, runner, client, article_data):
    desk = new_token(runner, "desk")
    new_token(runner, "importer")
    before = listing(runner)
    assert set(before) == {"desk", "importer"}
    assert "never" in before["desk"] and before["desk"].rstrip().endswith("active")
    assert post(client, desk, article_data).status_code == 201
    after = listing(runner)
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    assert after["desk"].count(today) == 2  # created, and last used
    assert "never" in after["importer"]
    output = runner.invoke(args=["news", "token", "list"]).output
    store = app.extensions["store"]
    with store.engine.connect() as conn:
        hashes = [row[0] for row in conn.exec_driver_sql("SELECT token_hash FROM tokens")]
    assert desk not in output and desk[3:] not in output
    assert not any(h in output for h in hashes)


def test_last_use_is_written_at_most_once_a_minute(app, runner, client, article_data):
    desk = new_token(runner, "desk")
    store = app.extensions["store"]
    assert post(client, desk, article_data).status_code == 201
    first = store.list_tokens()[0]["last_used_at"]
    assert first is not None
    assert post(client, desk, {**article_data, "headline": "Zweite"}).status_code == 201
    assert store.list_tokens()[0]["last_used_at"] == first  # no write for this request


def test_a_revoked_token_is_refused_at_once(runner, client, article_data):
    desk = new_token(runner, "desk")
    other = new_token(runner, "other")
    assert post(client, desk, article_data).status_code == 201
    result = runner.invoke(args=["news", "token", "revoke", "desk"])
    assert result.exit_code == 0 and "revoked 1 token" in result.stderr
    response = post(client, desk, {**article_data, "headline": "Danach"})
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    assert response.mimetype == "application/problem+json"
    assert post(client, other, {**article_data, "headline": "Andere"}).status_code == 201
    assert "revoked" in listing(runner)["desk"]
    again = runner.invoke(args=["news", "token", "revoke", "desk"])
    assert again.exit_code == 1 and "no active token named 'desk'" in again.stderr


def test_tokens_expire(app, runner, client, article_data):
    store = app.extensions["store"]
    lapsed = store.create_token("lapsed", datetime.now(UTC) - timedelta(seconds=1))
    assert post(client, lapsed, article_data).status_code == 401
    assert listing(runner)["lapsed"].rstrip().endswith("expired")
    month = new_token(runner, "month", "--expires", "30d")
    assert post(client, month, article_data).status_code == 201
    expected = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%d")
    assert expected in listing(runner)["month"]
    new_token(runner, "jahresende", "--expires", "2099-12-31")
    assert "2099-12-31 00:00 UTC" in listing(runner)["jahresende"]


@pytest.mark.parametrize("expires", ["gestern", "30x", "2001-01-01", "0d", "99999999d"])
def test_a_bad_or_past_expiry_creates_nothing(runner, expires):
    result = runner.invoke(args=["news", "token", "create", "desk", "--expires", expires])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "--expires" in result.stderr and "Traceback" not in result.output
    assert listing(runner) == {}
