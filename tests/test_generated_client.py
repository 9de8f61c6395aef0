"""A client generated from /openapi.json by openapi-python-client, used as an app would use it.

The client is generated at test time into a temporary directory, with no edits, and talks to
the app through httpx's WSGI transport.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path

import httpx
import pytest

BIN = Path(sys.executable).parent


@pytest.fixture
def generated(app, client, tmp_path, monkeypatch):
    """The generated package `newswire_client`."""
    spec = tmp_path / "openapi.json"
    spec.write_text(json.dumps(client.get("/openapi.json").get_json()))
    subprocess.run(
        [str(BIN / "openapi-python-client"), "generate", "--path", str(spec), "--meta", "none"]
        + ["--output-path", str(tmp_path / "newswire_client")],
        cwd=tmp_path,
        env={**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"},
        check=True,
        capture_output=True,
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in [m for m in sys.modules if m.startswith("newswire_client")]:
        del sys.modules[name]
    return importlib.import_module("newswire_client")


def connect(generated, app, token: str | None):
    transport = httpx.WSGITransport(app=app)
    base = "http://newswire.test"
    if token is None:
        api = generated.Client(base_url=base)
        api.set_httpx_client(httpx.Client(base_url=base, transport=transport))
    else:
        api = generated.AuthenticatedClient(base_url=base, token=token)
        auth = {"Authorization": f"Bearer {token}"}
        api.set_httpx_client(httpx.Client(base_url=base, transport=transport, headers=auth))
    return api


def test_generated_client_reads_writes_and_edits(generated, app, token):
    from newswire_client.api.articles import (
        create_article,
        delete_article,
        get_article,
        list_articles,
        patch_article,
        replace_article,
    )
    from newswire_client.models import ArticleIn, ArticleOut, ArticlePatch
    from newswire_client.models.article_in_status import ArticleInStatus

    writer = connect(generated, app, token)
    reader = connect(generated, app, None)

    # create, with an Idempotency-Key: a retry returns the same article
    def new(n: int, **more):
        body = ArticleIn(
            headline=f"Stadtrat beschließt Haushalt {n}",
            lead="Eine knappe Mehrheit stimmte zu.",
            body_text="Erster Absatz.\nZweiter Absatz.",
            section="politik",
            tags=["Haushalt"],
            status=ArticleInStatus.PUBLISHED,
            published_at=datetime(2026, 11, n, 9, tzinfo=UTC),
            **more,
        )
        return create_article.sync_detailed(client=writer, body=body, idempotency_key=f"key-{n}")

    first = new(1)
    assert first.status_code == HTTPStatus.CREATED
    article = first.parsed
    assert isinstance(article, ArticleOut) and article.version == 1
    again = new(1)
    assert again.parsed.id == article.id and again.headers["Idempotent-Replayed"] == "true"
    for n in (2, 3):
        assert new(n).status_code == HTTPStatus.CREATED

    # list with filters, and follow the cursor
    page = list_articles.sync(client=reader, section="politik", tag=["haushalt"], limit=2)
    assert [a.headline for a in page.items] == [
        "Stadtrat beschließt Haushalt 3",
        "Stadtrat beschließt Haushalt 2",
    ]
    rest = list_articles.sync(
        client=reader, section="politik", tag=["haushalt"], limit=2, cursor=page.next_cursor
    )
    assert [a.id for a in rest.items] == [article.id] and rest.next_cursor is None

    # read by slug; a 304 is a result, not an error
    read = get_article.sync_detailed(key=article.slug, client=reader)
    assert read.status_code == HTTPStatus.OK and read.parsed.id == article.id
    etag = read.headers["ETag"]
    unchanged = get_article.sync_detailed(key=article.slug, client=reader, if_none_match=etag)
    assert unchanged.status_code == HTTPStatus.NOT_MODIFIED and unchanged.parsed is None

    # PATCH one field with If-Match: every other field stays as it was
    before = read.parsed.to_dict()
    patched = patch_article.sync_detailed(
        key=article.id,
        client=writer,
        body=ArticlePatch(lead="Nach Debatte: Mehrheit."),
        if_match=etag,
    )
    assert patched.status_code == HTTPStatus.OK
    after = patched.parsed.to_dict()
    assert after["lead"] == "Nach Debatte: Mehrheit." and after["status"] == "published"
    changed = {k for k in before if before[k] != after[k]}
    assert changed == {"lead", "version", "updated_at"}
    stale = patch_article.sync_detailed(
        key=article.id, client=writer, body=ArticlePatch(lead="Zu spät."), if_match=etag
    )
    assert stale.status_code == HTTPStatus.PRECONDITION_FAILED and stale.parsed.status == 412

    # replace, then delete, each with the current ETag
    replaced = replace_article.sync_detailed(
        key=article.id,
        client=writer,
        body=ArticleIn(headline="Neu", lead="Ersetzt.", body_text="Nur noch dies."),
        if_match=patched.headers["ETag"],
    )
    assert replaced.status_code == HTTPStatus.OK
    assert replaced.parsed.headline == "Neu" and replaced.parsed.slug == article.slug
    deleted = delete_article.sync_detailed(
        key=article.id, client=writer, if_match=replaced.headers["ETag"]
    )
    assert deleted.status_code == HTTPStatus.NO_CONTENT
    gone = get_article.sync_detailed(key=article.id, client=reader)
    assert gone.status_code == HTTPStatus.GONE and gone.parsed.status == 410
