"""`flask news …` as an operator runs it."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

from api import create_app

FIXTURES = Path(__file__).parent / "fixtures" / "import"


def test_token_create_prints_only_a_working_token(runner, client, article_data):
    result = runner.invoke(args=["news", "token", "create", "desk"])
    assert result.exit_code == 0
    token = result.stdout.strip()
    assert "\n" not in token and len(token) > 30
    response = client.post(
        "/v1/articles", json=article_data, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 201


def test_seed_loads_linked_demo_articles_once(runner, client):
    result = runner.invoke(args=["news", "seed", "--if-empty"])
    assert result.exit_code == 0, result.output
    items = client.get("/v1/articles?limit=100").get_json()["items"]
    assert 6 <= len(items) <= 10
    assert len({a["section"] for a in items}) >= 4
    linked = [a for a in items if any("article" in r for r in a["related"])]
    assert len(linked) >= 2
    again = runner.invoke(args=["news", "seed", "--if-empty"])
    assert again.exit_code == 0
    assert len(client.get("/v1/articles?limit=100").get_json()["items"]) == len(items)
    forced = runner.invoke(args=["news", "seed"])  # without --if-empty: still no duplicates
    assert forced.exit_code == 0, forced.output
    assert client.get("/v1/articles?limit=100").get_json()["items"] == items


def test_migrate_is_idempotent(runner):
    assert runner.invoke(args=["news", "migrate"]).exit_code == 0
    assert runner.invoke(args=["news", "migrate"]).exit_code == 0


def test_migrate_upgrades_a_database_of_the_first_revision(tmp_path):
    """An existing database keeps its articles, and they are served as before."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine, text

    from api import create_app
    from api.store import MIGRATIONS

    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    engine = create_engine(url)
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0001")
        conn.execute(
            text(
                "INSERT INTO articles (id, slug, headline, lead, body, body_text, language,"
                " section, status, published_at, created_at, updated_at, version, in_stream)"
                " VALUES ('a1', 'alt', 'Älter als die Migration', 'Vorspann.', '<p>Text.</p>',"
                " 'Text.', 'de-AT', 'politik', 'published', '2026-01-05 08:00:00.000000',"
                " '2026-01-05 08:00:00.000000', '2026-01-05 08:00:00.000000', 1, 1)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO article_tags (article_id, slug, label, position)"
                " VALUES ('a1', 'koeln', 'Köln', 0)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO article_authors (article_id, position, name, slug)"
                " VALUES ('a1', 0, 'Eva Beispiel', 'eva-beispiel')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO changes (seq, article_id, kind, version, at)"
                " VALUES (1, 'a1', 'upsert', 1, '2026-01-05 08:00:00.000000')"
            )
        )
    engine.dispose()
    app = create_app({"DATABASE_URL": url, "TESTING": True})
    assert app.test_cli_runner().invoke(args=["news", "migrate"]).exit_code == 0
    client = app.test_client()
    article = client.get("/v1/articles/alt").get_json()
    assert article["headline"] == "Älter als die Migration"
    assert article["url"] == "http://localhost/articles/alt"
    assert article["published_at"] == "2026-01-05T08:00:00Z"
    for query in ("", "?tag=Köln", "?author=Eva Beispiel", "?language=de", "?section=politik"):
        listed = client.get("/v1/articles" + query).get_json()["items"]
        assert [a["id"] for a in listed] == ["a1"], query
    assert client.get("/v1/articles?language=en").get_json()["items"] == []
    assert client.get("/v1/sections").get_json()["sections"] == [{"section": "politik", "count": 1}]
    assert client.get("/v1/tags").get_json()["tags"] == [
        {"tag": "koeln", "label": "Köln", "count": 1}
    ]
    assert client.get("/v1/changes").get_json()["changes"][0]["article"] == article
    app.extensions["store"].close()


@pytest.fixture
def unmigrated_url(database_template, tmp_path):
    """An empty database: a new SQLite file, or a new PostgreSQL database when tests run there."""
    kind, where = database_template
    if kind == "sqlite":
        path = tmp_path / "leer.sqlite3"
        sqlite3.connect(path).close()
        yield f"sqlite:///{path}"
        return
    admin = create_engine(where, isolation_level="AUTOCOMMIT")
    name = f"newswire_empty_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield admin.url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


COMMANDS = [
    ["news", "seed"],
    ["news", "seed", "--if-empty"],
    ["news", "token", "create", "desk"],
    ["news", "import", "--dry-run", str(FIXTURES / "stadtfest.txt")],
]


def one_line_refusal(app, args) -> str:
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 1, (args, result.output)
    assert result.stdout == ""  # a script reading a token gets nothing, not a traceback
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def test_commands_on_an_unmigrated_database_say_so_in_one_line(unmigrated_url):
    app = create_app({"DATABASE_URL": unmigrated_url, "TESTING": True})
    shown = make_url(unmigrated_url).render_as_string(hide_password=True)
    for args in COMMANDS:
        line = one_line_refusal(app, args)
        assert shown in line and "not migrated" in line and "flask news migrate" in line
    runner = app.test_cli_runner()
    assert runner.invoke(args=["news", "migrate"]).exit_code == 0  # the way out
    assert runner.invoke(args=["news", "token", "create", "desk"]).exit_code == 0
    app.extensions["store"].close()


def test_a_database_file_that_does_not_exist_is_named_and_not_created(tmp_path):
    path = tmp_path / "tippfehler.sqlite3"
    app = create_app({"DATABASE_URL": f"sqlite:///{path}", "TESTING": True})
    for args in COMMANDS:
        line = one_line_refusal(app, args)
        assert str(path) in line and "does not exist" in line
    assert not path.exists()


def test_an_unreachable_database_is_named_without_its_password():
    url = "postgresql+psycopg://newswire:geheim@127.0.0.1:1/newswire"  # port 1: nobody listens
    app = create_app({"DATABASE_URL": url, "TESTING": True})
    line = one_line_refusal(app, ["news", "seed"])
    assert "postgresql+psycopg://newswire:***@127.0.0.1:1/newswire" in line
    assert "geheim" not in line


def test_a_database_at_an_older_revision_names_it(tmp_path):
    from alembic import command
    from alembic.config import Config

    from api.store import MIGRATIONS

    url = f"sqlite:///{tmp_path / 'alt.sqlite3'}"
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    engine = create_engine(url)
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0003")
    engine.dispose()
    app = create_app({"DATABASE_URL": url, "TESTING": True})
    line = one_line_refusal(app, ["news", "seed"])
    assert "revision 0003" in line and "flask news migrate" in line


@pytest.mark.parametrize(
    "url, named",
    [
        # the driver-less spelling people copy from other tools: SQLAlchemy wants psycopg2
        ("postgresql://newswire:geheim@127.0.0.1:1/newswire", "postgresql://newswire:***@"),
        ("postgresq://newswire:geheim@127.0.0.1:1/newswire", "postgresq://newswire:***@"),
        ("keine URL", "DATABASE_URL"),
    ],
)
def test_a_database_url_that_cannot_be_opened_is_one_line_not_a_traceback(url, named):
    """Run as an operator does, `flask news seed` in a shell: the app fails while loading."""
    root = Path(__file__).parent.parent
    env = {**os.environ, "DATABASE_URL": url, "FLASK_APP": "wsgi.py"}
    result = subprocess.run(
        [sys.executable, "-m", "flask", "news", "seed"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and named in lines[0], result.stderr
    assert "geheim" not in result.stderr
