"""`flask news import PATH…`: plain text and JSON (write format or ninjs), as operators run it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures" / "import"


@pytest.fixture
def files(tmp_path) -> Path:
    """A copy of the fixture files, to add bad ones next to them."""
    folder = tmp_path / "articles"
    shutil.copytree(FIXTURES, folder)
    return folder


def run(runner, *args):
    return runner.invoke(args=["news", "import", *map(str, args)])


def report(result) -> dict[str, tuple[str, str]]:
    """{file name: (outcome, detail)} from the lines on stdout."""
    lines = {}
    for line in result.stdout.splitlines():
        outcome, rest = line.split(None, 1)
        path, _, detail = rest.partition("  ")
        lines[Path(path).name] = (outcome, detail)
    return lines


def all_articles(client, auth) -> list[dict]:
    """Every article, drafts included, through the change stream and the token's reads."""
    ids = [c["id"] for c in client.get("/v1/changes?limit=1000").get_json()["changes"]]
    return [client.get(f"/v1/articles/{i}", headers=auth).get_json() for i in ids]


def test_a_plain_text_article_with_options(runner, client, auth, files):
    result = run(
        runner,
        files / "article-plain.txt",
        "--section", "politik", "--tag", "NATO", "--tag", "Ukraine",
        "--language", "de-DE", "--author", "Jana Beispiel",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    outcome, detail = report(result)["article-plain.txt"]
    assert outcome == "created"
    article_id, slug = detail.split()
    article = client.get(f"/v1/articles/{article_id}", headers=auth).get_json()
    lines = (files / "article-plain.txt").read_text("utf-8").splitlines()
    assert article["headline"] == lines[0]
    assert article["lead"] == lines[1]
    assert article["body_text"].split("\n") == [line for line in lines[3:] if line.strip()]
    assert article["body"].count("<p>") == len(article["body_text"].split("\n"))
    assert (article["section"], article["tags"], article["language"]) == (
        "politik",
        ["NATO", "Ukraine"],
        "de-DE",
    )
    assert article["authors"] == [{"name": "Jana Beispiel"}]
    assert article["slug"] == slug
    assert article["status"] == "draft"  # imports are drafts unless told otherwise
    assert client.get(f"/v1/articles/{article_id}").status_code == 404
    assert "1 file: 1 created" in result.stderr


def test_published_imports_are_writes_like_any_other(runner, client, files):
    result = run(runner, files / "stadtfest.txt", "--section", "lokales", "--tag", "Fest",
                 "--publish")  # fmt: skip
    assert result.exit_code == 0, result.output
    article_id = report(result)["stadtfest.txt"][1].split()[0]
    listed = client.get("/v1/articles").get_json()["items"]
    assert [a["id"] for a in listed] == [article_id]
    changes = client.get("/v1/changes").get_json()["changes"]
    assert [(c["id"], c["type"]) for c in changes] == [(article_id, "upsert")]
    assert client.get("/v1/sections").get_json()["sections"] == [{"section": "lokales", "count": 1}]
    assert client.get("/v1/tags").get_json()["tags"] == [
        {"tag": "fest", "label": "Fest", "count": 1}
    ]


def test_importing_the_same_file_again_creates_nothing_new(runner, client, auth, files):
    first = run(runner, files, "--publish")
    assert first.exit_code == 0, first.output
    created = report(first)
    assert {outcome for outcome, _ in created.values()} == {"created"}
    assert len(created) == 5
    before = client.get("/v1/changes?limit=1000").get_json()

    shutil.copy(files / "stadtfest.txt", files / "stadtfest-kopie.txt")  # same bytes
    second = run(runner, files, "--publish")
    assert second.exit_code == 0, second.output
    again = report(second)
    assert {outcome for outcome, _ in again.values()} == {"unchanged"}
    assert again["stadtfest-kopie.txt"][1] == created["stadtfest.txt"][1]
    for name, (_, detail) in created.items():
        assert again[name][1] == detail  # the same article, id and slug
    assert client.get("/v1/changes?limit=1000").get_json() == before


def test_the_same_file_with_other_options_is_refused_and_changes_nothing(runner, client, files):
    assert run(runner, files / "stadtfest.txt").exit_code == 0
    before = client.get("/v1/changes?limit=1000").get_json()
    result = run(runner, files / "stadtfest.txt", "--section", "sport")
    assert result.exit_code == 1
    outcome, detail = report(result)["stadtfest.txt"]
    assert outcome == "failed" and "imported before" in detail
    assert client.get("/v1/changes?limit=1000").get_json() == before


def test_one_bad_file_never_stops_the_others(runner, client, auth, files):
    (files / "leer.txt").write_text("", "utf-8")
    (files / "nur-titel.txt").write_text("Eine Zeile\n", "utf-8")
    (files / "langer-vorspann.txt").write_text("Titel\n" + "x" * 700 + "\n\nText.\n", "utf-8")
    (files / "kaputt.json").write_text('{"headline": ', "utf-8")
    (files / "liste.json").write_text("[1, 2]", "utf-8")
    (files / "latin1.txt").write_bytes("Überschrift\nVorspann\n\nText\n".encode("latin-1"))
    (files / "tippfehler.json").write_text(
        json.dumps({"headlin": "Neu", "lead": "Kurz.", "body_text": "Text."}), "utf-8"
    )
    result = run(runner, files, files / "fehlt.txt", "--publish")
    assert result.exit_code == 1
    lines = report(result)
    failed = {name: detail for name, (outcome, detail) in lines.items() if outcome == "failed"}
    assert set(failed) == {
        "leer.txt",
        "nur-titel.txt",
        "langer-vorspann.txt",
        "kaputt.json",
        "liste.json",
        "latin1.txt",
        "tippfehler.json",
        "fehlt.txt",
    }
    assert failed["langer-vorspann.txt"].startswith("lead:")  # names the field, like a 422
    assert "headlin" in failed["tippfehler.json"]
    assert "UTF-8" in failed["latin1.txt"]
    assert "blank line" in failed["nur-titel.txt"]
    created = [name for name, (outcome, _) in lines.items() if outcome == "created"]
    assert len(created) == 5
    assert len(client.get("/v1/articles?limit=100").get_json()["items"]) == 5
    assert "5 created, 8 failed" in result.stderr
    assert "Traceback" not in result.output


def test_a_file_over_the_size_limit_fails_alone(app, runner, files):
    big = files / "riesig.txt"
    big.write_text("Titel\nVorspann\n\n" + "Absatz.\n" * 200_000, "utf-8")
    assert big.stat().st_size > app.config["MAX_CONTENT_LENGTH"]
    result = run(runner, big, files / "stadtfest.txt")
    assert result.exit_code == 1
    assert report(result)["riesig.txt"][0] == "failed"
    assert "larger than" in report(result)["riesig.txt"][1]
    assert report(result)["stadtfest.txt"][0] == "created"


def test_dry_run_validates_and_writes_nothing(runner, client, files):
    result = run(runner, files, "--dry-run")
    assert result.exit_code == 0, result.output
    assert {outcome for outcome, _ in report(result).values()} == {"valid"}
    assert client.get("/v1/changes").get_json()["changes"] == []
    assert run(runner, files, "--dry-run").exit_code == 0
    (files / "kaputt.txt").write_text("Nur\n", "utf-8")
    bad = run(runner, files, "--dry-run", "--language", "xx-invalid-tag-123456789")
    assert bad.exit_code == 1
    assert all(outcome == "failed" for outcome, _ in report(bad).values())
    assert report(bad)["stadtfest.txt"][1].startswith("language:")
    # then for real: nothing from the dry runs is in the way
    (files / "kaputt.txt").unlink()
    real = run(runner, files)
    assert real.exit_code == 0
    assert [outcome for outcome, _ in report(real).values()] == ["created"] * 5
    # only marktplatz.json says published; the rest are drafts, invisible to the stream
    assert len(client.get("/v1/changes").get_json()["changes"]) == 1


def test_ninjs_3_and_2_documents(runner, client, auth, files):
    result = run(runner, files / "hafen-ninjs3.json", files / "bahnhof-ninjs2.json")
    assert result.exit_code == 0, result.output
    lines = report(result)
    hafen = client.get(
        f"/v1/articles/{lines['hafen-ninjs3.json'][1].split()[0]}", headers=auth
    ).get_json()
    assert hafen["headline"] == "Neuer Kran für den Hafen von Lindenau"
    assert hafen["lead"] == "Der Kran hebt doppelt so viel wie sein Vorgänger."
    assert hafen["body"] == (
        "<p>Am Montag wurde der Kran geliefert.</p><p>Er soll im Frühjahr in Betrieb gehen.</p>"
    )
    assert hafen["section"] == "wirtschaft"
    assert hafen["tags"] == ["Hafen", "Logistik"]
    assert hafen["authors"] == [{"name": "Eva Muster", "url": "https://example.org/autoren/eva"}]
    assert hafen["image"] == {
        "url": "https://img.example.org/kran.jpg",
        "alt": "Ein gelber Kran am Kai",
        "caption": "Der neue Kran bei der Anlieferung.",
        "credit": "Foto: Hafenamt",
    }
    assert hafen["related"] == [
        {"title": "Mehr über den Hafen", "url": "https://example.org/hafen"}
    ]
    assert hafen["published_at"] == "2026-11-20T07:15:00Z"
    assert hafen["status"] == "draft"
    bahnhof = client.get(
        f"/v1/articles/{lines['bahnhof-ninjs2.json'][1].split()[0]}", headers=auth
    ).get_json()
    assert bahnhof["headline"] == "Bahnhof bekommt ein neues Dach"
    assert bahnhof["lead"] == "Die Arbeiten dauern bis zum Sommer."
    assert bahnhof["body_text"] == (
        "Die Züge fahren während der Bauzeit wie gewohnt.\nNur der Nordausgang bleibt geschlossen."
    )
    assert bahnhof["language"] == "de-AT"
    assert bahnhof["authors"] == [{"name": "Red Aktion"}]
    assert bahnhof["tags"] == ["Verkehr"]


def test_an_edited_ninjs_document_is_not_a_second_article(runner, client, files):
    assert run(runner, files / "bahnhof-ninjs2.json").exit_code == 0
    document = json.loads((files / "bahnhof-ninjs2.json").read_text("utf-8"))
    document["version"] = "2"
    document["headlines"] = [{"value": "Bahnhof bekommt ein neues Glasdach"}]
    (files / "bahnhof-ninjs2.json").write_text(json.dumps(document), "utf-8")
    result = run(runner, files / "bahnhof-ninjs2.json")
    assert result.exit_code == 1
    assert "imported before" in report(result)["bahnhof-ninjs2.json"][1]
    assert len(client.get("/v1/changes").get_json()["changes"]) == 0  # drafts: none visible


@pytest.mark.parametrize("format", ["ninjs", "ninjs2"])
def test_our_own_ninjs_imports_back(runner, client, auth, create, tmp_path, format):
    target = create(headline="Vorgeschichte", tags=[])
    article = create(
        body='<p>Ein <a href="https://example.org/">Link</a>.</p>',
        image={"url": "https://img.example.org/a.png", "alt": "Ein Bild", "credit": "Foto: X"},
        authors=[{"name": "Jana Beispiel", "url": "https://example.org/jana"}],
        related=[{"article": target["id"]}, {"url": "https://example.org/x", "title": "X"}],
        canonical_url="https://example.org/artikel/1",
    )
    path = tmp_path / "export.json"
    path.write_bytes(client.get(f"/v1/articles/{article['id']}?format={format}").data)
    result = run(runner, path, "--publish")
    assert result.exit_code == 0, result.output
    copy_id = report(result)["export.json"][1].split()[0]
    copy = client.get(f"/v1/articles/{copy_id}", headers=auth).get_json()
    for field in ("headline", "lead", "body", "section", "tags", "authors", "image", "language"):
        assert copy[field] == article[field], field
    assert copy["related"] == article["related"]  # the internal one is ours again
    assert copy["url"] == "https://example.org/artikel/1"
    assert copy["published_at"] == article["created_at"]


def test_a_progress_bar_for_many_files(runner, tmp_path):
    for n in range(30):
        (tmp_path / f"meldung-{n:02}.txt").write_text(
            f"Meldung {n}\nKurz gesagt.\n\nDer Text von Meldung {n}.\n", "utf-8"
        )
    result = run(runner, tmp_path)
    assert result.exit_code == 0, result.output
    assert "importing" in result.stderr
    assert len(report(result)) == 30
    assert "30 files: 30 created" in result.stderr


def test_a_related_article_that_is_not_here_becomes_its_link(
    runner, client, auth, create, tmp_path
):
    target = create(headline="Bald gelöscht", tags=[])
    article = create(related=[{"article": target["id"]}])
    path = tmp_path / "export.json"
    path.write_bytes(client.get(f"/v1/articles/{article['id']}?format=ninjs").data)
    etag = client.get(f"/v1/articles/{target['id']}").headers["ETag"]
    client.delete(f"/v1/articles/{target['id']}", headers={**auth, "If-Match": etag})
    result = run(runner, path)
    assert result.exit_code == 0, result.output
    copy_id = report(result)["export.json"][1].split()[0]
    copy = client.get(f"/v1/articles/{copy_id}", headers=auth).get_json()
    assert copy["related"] == [{"title": "Bald gelöscht", "url": target["url"]}]


def test_a_deleted_import_is_not_brought_back(runner, client, auth, files):
    first = run(runner, files / "marktplatz.json")
    article_id = report(first)["marktplatz.json"][1].split()[0]
    etag = client.get(f"/v1/articles/{article_id}").headers["ETag"]
    client.delete(f"/v1/articles/{article_id}", headers={**auth, "If-Match": etag})
    again = run(runner, files / "marktplatz.json")
    assert again.exit_code == 0
    assert report(again)["marktplatz.json"][0] == "unchanged"
    assert client.get(f"/v1/articles/{article_id}").status_code == 410
    assert client.get("/v1/articles").get_json()["items"] == []


def test_a_directory_holds_article_files_whatever_the_case_of_their_suffix(runner, tmp_path):
    """Files exported on Windows are often ARTIKEL.TXT: a folder import must not skip them."""
    (tmp_path / "ARTIKEL.TXT").write_text("Schlagzeile\nVorspann\n\nAbsatz\n", encoding="utf-8")
    (tmp_path / "Meldung.Json").write_text(
        json.dumps({"headline": "JSON", "lead": "Vorspann", "body_text": "Absatz"}),
        encoding="utf-8",
    )
    (tmp_path / "notes.md").write_text("# not an article\n", encoding="utf-8")
    result = run(runner, tmp_path)
    assert result.exit_code == 0, result.output
    assert {name: outcome for name, (outcome, _) in report(result).items()} == {
        "ARTIKEL.TXT": "created",
        "Meldung.Json": "created",
    }
