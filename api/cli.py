"""`flask news …`: migrate, seed, token create|list|revoke, import, deliver."""

from __future__ import annotations

import functools
import json
import logging
import signal
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from marshmallow import ValidationError
from sqlalchemy.exc import DBAPIError

from api import importing
from api.errors import field_errors
from api.store import Gone, IdempotencyConflict, NotFound, Store, get_store, utcnow
from schemas.article import ArticleIn
from schemas.fields import rfc3339

IMPORTS = 0  # the idempotency records of imports live under this token id, which no token has


class NewsGroup(AppGroup):
    """Commands that refuse, in one line, to run against a database that is not migrated."""

    def command(self, *args, needs_schema: bool = True, **kwargs):
        def decorator(f):
            return super(NewsGroup, self).command(*args, **kwargs)(
                schema_checked(f) if needs_schema else f
            )

        return decorator

    def group(self, *args, **kwargs):
        kwargs.setdefault("cls", NewsGroup)
        return super().group(*args, **kwargs)


news = NewsGroup("news", help="Manage Newswire: database, demo content, tokens, imports.")


@news.group("token")
def token() -> None:
    """Write tokens."""


def init_app(app: Flask) -> None:
    app.cli.add_command(news)


def base_url() -> str:
    """Links of articles written from the command line (no request to take a host from)."""
    return current_app.config["PUBLIC_BASE_URL"] or "http://127.0.0.1:8000"


def schema_checked(command):
    """Run `command` only on a database at the newest schema revision; else say so and exit 1."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        problem = schema_problem(get_store())
        if problem:
            raise click.ClickException(problem)
        return command(*args, **kwargs)

    return wrapper


def schema_problem(store: Store) -> str | None:
    """Why the database cannot serve commands yet (naming it, password hidden), or None."""
    url = store.engine.url
    name = url.render_as_string(hide_password=True)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        if not Path(url.database).exists():  # checked first: connecting would create it
            return f"database {name} does not exist: run `flask news migrate` to create it"
    try:
        current, newest = store.schema_revisions()
    except DBAPIError as exc:
        reason = (str(exc.orig).strip().splitlines() or [type(exc.orig).__name__])[0]
        return f"cannot reach database {name}: {reason}"
    if current is None:
        return f"database {name} is not migrated: run `flask news migrate`"
    if current != newest:
        return (
            f"database {name} is at schema revision {current}, this version needs {newest}:"
            " run `flask news migrate`"
        )
    return None


@news.command("migrate", needs_schema=False)
def migrate() -> None:
    """Create the database schema or upgrade it to the newest version."""
    get_store().upgrade()
    click.echo("database is up to date", err=True)


class Expiry(click.ParamType):
    """When a token expires: a lifetime (`30d`, `12h`, `2w`) or an ISO 8601 date or time."""

    name = "expiry"
    UNITS = {"h": "hours", "d": "days", "w": "weeks"}

    def convert(self, value, param, ctx) -> datetime:
        now = utcnow()
        text = str(value).strip()
        try:
            if text[-1:] in self.UNITS and text[:-1].isdigit() and len(text) <= 6:
                moment = now + timedelta(**{self.UNITS[text[-1]]: int(text[:-1])})
            else:  # a date is its first instant in UTC; a time without offset is UTC
                moment = datetime.fromisoformat(text)
                if moment.tzinfo is None:
                    moment = moment.replace(tzinfo=UTC)
        except (ValueError, OverflowError):
            self.fail(f"{value!r} is neither a lifetime like 30d, 12h, 2w nor an ISO date", param)
        if moment <= now:
            self.fail(f"{value!r} is in the past", param)
        return moment.astimezone(UTC)


@token.command("create")
@click.argument("name")
@click.option("--expires", type=Expiry(), help="Lifetime (30d, 12h, 2w) or ISO date/time.")
def token_create(name: str, expires: datetime | None) -> None:
    """Create a write token; prints the token and nothing else."""
    click.echo(get_store().create_token(name, expires))
    if expires is not None:
        click.echo(f"token {name} expires {rfc3339(expires)}", err=True)


@token.command("list")
def token_list() -> None:
    """Every token: name, created, last used, expiry and state (never the secret)."""
    now = utcnow()
    rows = [("NAME", "CREATED", "LAST USED", "EXPIRES", "STATE")]
    for t in get_store().list_tokens():
        if t["revoked_at"] is not None:
            state = "revoked " + minute(t["revoked_at"])
        elif t["expires_at"] is not None and t["expires_at"] <= now:
            state = "expired"
        else:
            state = "active"
        rows.append(
            (t["name"], minute(t["created_at"]), minute(t["last_used_at"]) or "never",
             minute(t["expires_at"]) or "never", state)
        )  # fmt: skip
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        cells = [v.ljust(w) for v, w in zip(row[:4], widths, strict=True)]
        click.echo("  ".join([*cells, row[4]]))


def minute(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else ""


@token.command("revoke")
@click.argument("name")
def token_revoke(name: str) -> None:
    """Revoke every token of this name; requests with them get 401 from now on."""
    revoked = get_store().revoke_tokens(name)
    if not revoked:
        raise click.ClickException(f"no active token named {name!r}")
    click.echo(f"revoked {revoked} token{'s' if revoked > 1 else ''} named {name!r}", err=True)


@news.command("seed")
@click.option("--if-empty", is_flag=True, help="Only when the database holds no article.")
def seed(if_empty: bool) -> None:
    """Load the demo articles (api/demo_articles.json); those already there are left alone."""
    store = get_store()
    if if_empty and not store.is_empty():
        click.echo("database already holds articles; not seeding", err=True)
        return
    demo = json.loads(resources.files("api").joinpath("demo_articles.json").read_text("utf-8"))
    base = base_url()
    ids: dict[str, str] = {}
    schema = ArticleIn()
    # Internal related items name other demo articles by slug: create everything first,
    # then add those links once every id is known.
    demo = [raw for raw in demo if not store.has_slug(raw["slug"])]
    for raw in demo:
        external = [item for item in raw.get("related", []) if "article" not in item]
        article, _ = store.create_article(schema.load({**raw, "related": external}), base)
        ids[raw["slug"]] = article.data()["id"]
    for raw in demo:
        if any("article" in item and item["article"] in ids for item in raw.get("related", [])):
            related = [
                {"article": ids[item["article"]]} if "article" in item else item
                for item in raw["related"]
                if "article" not in item or item["article"] in ids
            ]
            data = schema.load({**raw, "related": related})
            store.update_article(ids[raw["slug"]], data, base, lambda current: None)
    click.echo(f"seeded {len(demo)} demo articles", err=True)


@news.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--section", help="File every article under this section (slug form).")
@click.option("--tag", "tags", multiple=True, help="Add this tag (repeatable).")
@click.option("--language", help="BCP 47 language tag, e.g. de-AT.")
@click.option(
    "--status",
    type=click.Choice(["draft", "published"]),
    help="draft (the default for files that do not say) or published.",
)
@click.option("--publish", is_flag=True, help="Short for --status published.")
@click.option("--author", "authors", multiple=True, help="Author's name (repeatable).")
@click.option("--dry-run", is_flag=True, help="Only validate and report; write nothing.")
def import_articles(paths, section, tags, language, status, publish, authors, dry_run) -> None:
    """Import articles from plain-text (.txt) and JSON files (write format or ninjs).

    A directory stands for the .txt and .json files in it. Importing the same file again
    creates nothing new. Exits 1 when any file failed; the others are imported all the same.
    """
    options = dict(
        section=section,
        tags=tags,
        language=language,
        status="published" if publish else status,
        authors=authors,
    )
    files = expand(paths)
    results: list[tuple[str, Path, str]] = []
    with click.progressbar(files, label="importing", file=sys.stderr) as bar:
        for path in bar:
            outcome, detail = import_file(path, options, dry_run)
            results.append((outcome, path, detail))
    for outcome, path, detail in results:
        click.echo(f"{outcome:<9} {path}  {detail}")
    counts = Counter(outcome for outcome, _, _ in results)
    summary = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items()))
    files_ = "file" if len(results) == 1 else "files"
    click.echo(f"{len(results)} {files_}: {summary or 'nothing to import'}", err=True)
    if counts["failed"]:
        raise SystemExit(1)


def expand(paths: tuple[Path, ...]) -> list[Path]:
    """Files as given; a directory as the article files in it and below, in name order."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(
                p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in importing.SUFFIXES
            )
        else:
            files.append(path)
    return files


def import_file(path: Path, options: dict, dry_run: bool) -> tuple[str, str]:
    """(outcome, detail) for one file: created, unchanged (imported before), valid (dry run)
    or failed."""
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    try:
        with path.open("rb") as file:
            data = file.read(limit + 1)
    except OSError as exc:
        return "failed", exc.strerror or str(exc)
    if len(data) > limit:
        return "failed", f"larger than {limit} bytes"
    try:
        raw = importing.with_options(importing.parse(path.name, data, is_ours), **options)
        article = ArticleIn().load(raw)
        if dry_run:
            return "valid", article["headline"]
        key = importing.identity(path.name, data)
        document, created = get_store().create_article(
            article, base_url(), (IMPORTS, key, importing.request_hash(raw))
        )
    except importing.NotAnArticle as exc:
        return "failed", str(exc)
    except ValidationError as exc:
        errors = field_errors(exc.messages)
        return "failed", "; ".join(f"{field}: {' '.join(m)}" for field, m in errors.items())
    except IdempotencyConflict:
        return "failed", "imported before with other content or options; left as it is"
    except Exception as exc:  # one bad file never stops the others
        first_line = (str(exc).strip().splitlines() or [""])[0]
        return "failed", f"{type(exc).__name__}: {first_line}"
    public = document.data()
    return ("created" if created else "unchanged"), f"{public['id']}  {public['slug']}"


def is_ours(article_id: str) -> bool:
    """Whether an article with this id is here (drafts too; deleted ones no longer)."""
    try:
        get_store().get_article(article_id, base_url(), include_hidden=True)
    except (NotFound, Gone):
        return False
    return True


@news.command("deliver")
def deliver() -> None:
    """Deliver every change to the webhooks (and ping the WebSub hub) until stopped."""
    from api.delivery import Delivery

    logging.basicConfig(level=logging.INFO, format="%(asctime)s deliver %(message)s")
    delivery = Delivery(current_app._get_current_object(), get_store())
    signal.signal(signal.SIGTERM, lambda *_: delivery.stop())
    click.echo(f"delivering as {delivery.owner}", err=True)
    try:
        delivery.run()
    except KeyboardInterrupt:
        delivery.stop()
