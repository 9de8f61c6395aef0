"""Full-text search (`q`) as a user sees it, on SQLite (FTS5) and PostgreSQL (tsvector)."""

from __future__ import annotations

import html
import itertools
import re

import feedparser
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.storage import matching
from api.store import Store


def ids(client, **params) -> list[str]:
    response = client.get("/v1/articles", query_string=params)
    assert response.status_code == 200, response.get_json()
    return [item["id"] for item in response.get_json()["items"]]


def found(client, q: str, **params) -> set[str]:
    return set(ids(client, q=q, limit=100, **params))


def assert_bad_query(response, field: str = "q") -> None:
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert field in response.get_json()["errors"]


def test_stemming_finds_other_forms_of_a_word(client, create):
    one = create(headline="Regierung stellt Plan vor", lead="Kurz.", body_text="Text.")
    many = create(headline="Zwei Regierungen streiten", lead="Lang.", body_text="Text.")
    create(headline="Wetter", lead="Sonne.", body_text="Regen.")
    assert found(client, "Regierungen") == found(client, "regierung") == {one["id"], many["id"]}


def test_umlauts_sharp_s_and_case_fold_both_ways(client, create):
    strasse = create(headline="Neue Straße am Hafen", lead="Bau beginnt.", body_text="Text.")
    koeln = create(headline="Köln feiert", lead="Karneval.", body_text="Text.")
    koeln_ascii = create(headline="Koeln Messe", lead="Besucher.", body_text="Text.")
    create(headline="Bonn", lead="Nichts.", body_text="Text.")
    assert found(client, "Strasse") == found(client, "STRASSE") == {strasse["id"]}
    assert found(client, "straße") == {strasse["id"]}
    both = {koeln["id"], koeln_ascii["id"]}
    assert found(client, "Koeln") == found(client, "Köln") == found(client, "KÖLN") == both


def test_words_not_substrings(client, create):
    create(headline="Stadtrat tagt", lead="Beratung dauert.", body_text="Text.")
    assert found(client, "rat") == set()


def test_phrase_exclusion_and_or(client, create):
    a = create(headline="Neuer Haushalt beschlossen", lead="Der Rat stimmt zu.", body_text="X.")
    b = create(headline="Haushalt ohne neue Schulden", lead="Kämmerer plant.", body_text="Y.")
    c = create(headline="Schulden steigen", lead="Kritik am Rat.", body_text="Z.")
    assert found(client, '"neuer Haushalt"') == {a["id"]}
    assert found(client, "neuer Haushalt") == {a["id"], b["id"]}  # words anywhere (stemmed)
    assert found(client, "Haushalt -Schulden") == {a["id"]}
    assert found(client, 'Haushalt -"neuer Haushalt"') == {b["id"]}
    assert found(client, "Kämmerer OR Kritik") == {b["id"], c["id"]}
    assert found(client, "Schulden OR Rat Haushalt") == {a["id"], b["id"]}
    assert found(client, "Rat Kritik OR Kämmerer") == {c["id"]}


def test_relevance_puts_headline_above_lead_above_body(client, create):
    body = create(
        headline="Eins",
        lead="Zwei.",
        body_text="Der Minister Rutte sprach.",
        published_at="2026-11-20T12:00:00Z",
    )
    lead = create(
        headline="Drei", lead="Rutte kommt.", body_text="Text.", published_at="2026-11-20T11:00:00Z"
    )
    head = create(
        headline="Rutte in Berlin",
        lead="Vier.",
        body_text="Text.",
        published_at="2026-11-20T10:00:00Z",
    )
    assert ids(client, q="Rutte", sort="relevance") == [head["id"], lead["id"], body["id"]]
    newest_first = [body["id"], lead["id"], head["id"]]
    assert ids(client, q="Rutte") == ids(client, q="Rutte", sort="published") == newest_first


def test_relevance_counts_how_often_a_word_stands(client, create):
    once, twice, other = (
        create(headline="Bericht", lead="Kurz.", body_text=body, published_at=at)["id"]
        for body, at in (
            ("Rutte sprach heute mit vielen Leuten.", "2026-11-20T12:00:00Z"),
            ("Rutte sprach heute mit Rutte allein.", "2026-11-20T11:00:00Z"),
            ("Rutte sprach heute mit Merz allein.", "2026-11-20T10:00:00Z"),
        )
    )
    assert ids(client, q="Rutte", sort="relevance") == [twice, once, other]  # ties newest first


def test_a_hit_carries_a_snippet_with_the_words_of_the_query_marked(client, create):
    body = "Erster Satz. " + "Wort " * 40 + "Die Regierungen streiten & ringen. " + "Ende " * 40
    deep = create(headline="Bericht", lead="Kurz.", body_text=body)
    in_lead = create(headline="Notiz", lead="Die Regierung tagt.", body_text="Regierung.")
    in_headline = create(headline="Regierung", lead="Kurz und knapp.", body_text="Text.")
    for sort in ("published", "relevance"):
        response = client.get("/v1/articles", query_string={"q": "Regierung -Wetter", "sort": sort})
        snippets = {item["id"]: item["snippet"] for item in response.get_json()["items"]}
        assert snippets[in_lead["id"]] == "Die <mark>Regierung</mark> tagt."
        assert snippets[in_headline["id"]] == "Kurz und knapp."
        snippet = snippets[deep["id"]]
        assert snippet.startswith("… Wort") and snippet.endswith("Ende …")
        assert "<mark>Regierungen</mark> streiten &amp; ringen." in snippet
        assert len(re.findall(r"\w+", html.unescape(re.sub("<[^>]+>", "", snippet)))) == 30
    assert "snippet" not in client.get("/v1/articles").get_json()["items"][0]
    ninjs = client.get("/v1/articles", query_string={"q": "Regierung", "format": "ninjs"})
    assert all("snippet" not in item for item in ninjs.get_json()["items"])


@pytest.fixture(params=["by-key", "from-gin"])
def plan(request, monkeypatch):
    """On PostgreSQL, both ways of reading matches: newest first by key, and from GIN."""
    if request.param == "from-gin":
        monkeypatch.setattr(matching, "RECENT", 1)


def test_every_filter_combines_with_q(client, create, plan):
    base = {"lead": "Rutte spricht.", "body_text": "Text."}
    target = create(
        headline="Treffen",
        section="politik",
        tags=["NATO"],
        language="nl",
        authors=[{"name": "Ida Graf"}],
        published_at="2026-11-20T10:00:00Z",
        **base,
    )
    create(
        headline="Sport",
        section="sport",
        tags=["NATO"],
        language="nl",
        authors=[{"name": "Ida Graf"}],
        published_at="2026-11-20T10:00:00Z",
        **base,
    )
    create(
        headline="Tag",
        section="politik",
        tags=["EU"],
        language="nl",
        authors=[{"name": "Ida Graf"}],
        published_at="2026-11-20T10:00:00Z",
        **base,
    )
    create(
        headline="Sprache",
        section="politik",
        tags=["NATO"],
        language="de",
        authors=[{"name": "Ida Graf"}],
        published_at="2026-11-20T10:00:00Z",
        **base,
    )
    create(
        headline="Autor",
        section="politik",
        tags=["NATO"],
        language="nl",
        authors=[{"name": "Ben Jung"}],
        published_at="2026-11-20T10:00:00Z",
        **base,
    )
    early = create(
        headline="Früh",
        section="politik",
        tags=["NATO"],
        language="nl",
        authors=[{"name": "Ida Graf"}],
        published_at="2026-11-01T10:00:00Z",
        **base,
    )
    create(
        headline="Anders",
        lead="Merz spricht.",
        body_text="Text.",
        section="politik",
        tags=["NATO"],
        language="nl",
        authors=[{"name": "Ida Graf"}],
    )
    every = {"section": "politik", "tag": "nato", "language": "nl", "author": "ida graf"}
    for sort in ("published", "relevance"):
        assert found(client, "Rutte", sort=sort, **every) == {target["id"], early["id"]}
        assert found(
            client, "Rutte", sort=sort, published_after="2026-11-10T00:00:00Z", **every
        ) == {target["id"]}
        assert found(
            client, "Rutte", sort=sort, published_before="2026-11-10T00:00:00Z", **every
        ) == {early["id"]}
    assert found(client, "Rutte", updated_after="2000-01-01T00:00:00Z", **every) == {
        target["id"],
        early["id"],
    }
    assert found(client, "Rutte", updated_after="2100-01-01T00:00:00Z") == set()


def test_only_visible_articles_are_found_and_edits_refile(client, auth, create, edit):
    shown = create(headline="Rutte sichtbar", lead="Ja.", body_text="Text.")
    create(headline="Rutte Entwurf", lead="Nein.", body_text="Text.", status="draft")
    create(
        headline="Rutte geplant",
        lead="Später.",
        body_text="Text.",
        published_at="2100-01-01T00:00:00Z",
    )
    gone = create(headline="Rutte gelöscht", lead="Weg.", body_text="Text.")
    etag = client.get(f"/v1/articles/{gone['id']}").headers["ETag"]
    assert (
        client.delete(f"/v1/articles/{gone['id']}", headers={**auth, "If-Match": etag}).status_code
        == 204
    )
    assert found(client, "Rutte") == found(client, "Rutte", sort="relevance") == {shown["id"]}
    response = edit(shown["id"], headline="Schoof sichtbar")
    assert response.status_code == 200
    assert found(client, "Rutte") == set()
    assert found(client, "Schoof") == {shown["id"]}
    etag = response.headers["ETag"]
    response = client.patch(
        f"/v1/articles/{shown['id']}", json={"status": "draft"}, headers={**auth, "If-Match": etag}
    )
    assert found(client, "Schoof") == set()


def pages(client, cursor=None, between=None, **params) -> list[str]:
    """Every id of a listing, page by page, calling `between()` after each page."""
    seen: list[str] = []
    for _ in range(50):
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = client.get("/v1/articles", query_string=query)
        assert response.status_code == 200, response.get_json()
        page = response.get_json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            return seen
        assert response.headers["Link"].endswith('rel="next"')
        if between:
            between()
    raise AssertionError("the cursor never ended")


@pytest.mark.parametrize("sort", ["published", "relevance"])
def test_cursors_are_stable_while_articles_are_added(client, create, sort, plan):
    for i in range(7):
        where = {"headline": f"Rutte {i}"} if i % 2 else {"body_text": f"Rutte sagt {i}."}
        create(
            **{"headline": f"Bericht {i}", "lead": "Kurz.", "body_text": "Text.", **where},
            published_at=f"2026-11-1{i}T10:00:00Z",
        )
    before = ids(client, q="Rutte", sort=sort, limit=100)
    assert len(before) == 7
    added = []

    def add():
        added.append(
            create(
                headline=f"Rutte neu {len(added)}",
                lead="Neu.",
                body_text="Text.",
                published_at="2026-11-27T10:00:00Z",
            )["id"]
        )

    assert pages(client, q="Rutte", sort=sort, limit=2, between=add) == before
    assert len(added) == 3
    assert set(ids(client, q="Rutte", sort=sort, limit=100)) == set(before) | set(added)


def test_cursors_of_one_order_or_kind_are_refused_by_another(client, create):
    for i in range(3):
        create(headline=f"Rutte {i}", lead="Kurz.", body_text="Text.")
    by_date = client.get("/v1/articles?q=Rutte&limit=1").get_json()["next_cursor"]
    by_rank = client.get("/v1/articles?q=Rutte&limit=1&sort=relevance").get_json()["next_cursor"]
    plain = client.get("/v1/articles?limit=1").get_json()["next_cursor"]
    for url in (
        f"/v1/articles?q=Rutte&sort=relevance&cursor={by_date}",
        f"/v1/articles?q=Rutte&cursor={by_rank}",
        f"/v1/articles?q=Rutte&cursor={plain}",
        f"/v1/articles?cursor={by_date}",
    ):
        response = client.get(url)
        assert response.status_code == 400, url
        assert response.mimetype == "application/problem+json"


def test_sort_relevance_needs_q_and_sort_is_checked(client):
    assert_bad_query(client.get("/v1/articles?sort=relevance"), "sort")
    assert_bad_query(client.get("/v1/articles?q=x&sort=random"), "sort")


@pytest.mark.parametrize("path", ["atom.xml", "rss.xml"])
def test_a_saved_search_is_a_feed(client, create, path):
    match = create(headline="Rutte in Den Haag", lead="Besuch.", body_text="Text.")
    create(headline="Anderes", lead="Nichts.", body_text="Text.")
    response = client.get(f"/feeds/{path}?q=Rutte")
    assert response.status_code == 200
    parsed = feedparser.parse(response.data)
    assert parsed.bozo == 0
    assert [e.title for e in parsed.entries] == [match["headline"]]
    assert "Rutte" in parsed.feed.title
    assert parsed.feed.links and "q=Rutte" in response.get_data(as_text=True)
    assert_bad_query(client.get(f"/feeds/{path}?q=-nur"))


def test_json_feed_takes_q(client, create):
    match = create(headline="Rutte in Den Haag", lead="Besuch.", body_text="Text.")
    create(headline="Anderes", lead="Nichts.", body_text="Text.")
    feed = client.get("/feeds/feed.json?q=rutte").get_json()
    assert [item["id"] for item in feed["items"]] == [f"urn:uuid:{match['id']}"]


HOSTILE = [
    '"',
    '""',
    '"""',
    "'",
    "-",
    "--",
    "-x",
    "OR",
    "OR OR",
    "x OR",
    "NOT",
    "AND",
    "x AND y",
    "x NOT y",
    "NEAR(",
    "NEAR(a b, 2)",
    "*",
    "x*",
    "^",
    "^x",
    "headline:x",
    "{headline body}: x",
    "article_search_fts:x",
    "rank:1",
    "a:b:c",
    "(",
    ")",
    "((((x",
    "!x",
    "x & y | !z",
    "'x' <-> 'y'",
    "x:*",
    "\\",
    "%_%",
    "...",
    "?!;:,",
    "tag_nato",
    "section_politik",
    "ÄÖÜ ẞ İ",
    "日本語 テスト",
    "🦀",
    "x" * 200,
    " ".join(["wort"] * 12),
    " ".join(["wort"] * 13),
    '"' + " ".join(["w"] * 9) + '"',
    "a\x00b",
    "a\x01b",
    "a\nb",
    "x" * 10_000,
]


@pytest.mark.parametrize("q", HOSTILE)
def test_hostile_queries_give_results_or_a_problem_naming_q(client, create, q):
    create(headline="Rutte NATO Wort", lead="Kurz.", body_text="Text.", tags=["NATO"])
    for sort in ("published", "relevance"):
        response = client.get("/v1/articles", query_string={"q": q, "sort": sort})
        assert response.status_code in (200, 400), (q, response.get_data(as_text=True))
        if response.status_code == 400:
            assert_bad_query(response)
    response = client.get("/feeds/atom.xml", query_string={"q": q})
    assert response.status_code in (200, 400)


SEARCH_BOX = st.lists(
    st.one_of(
        st.text(max_size=12),
        st.sampled_from(['"', "-", "OR", "NEAR(", "*", "^", ":", "(", ")", "ä", "ß", "der"]),
    ),
    max_size=20,
).map(" ".join)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(q=SEARCH_BOX, relevance=st.booleans())
def test_any_typed_string_gives_results_or_a_problem_naming_q(client, q, relevance):
    query = {"q": q, **({"sort": "relevance"} if relevance else {})}
    response = client.get("/v1/articles", query_string=query)
    assert response.status_code in (200, 400), (q, response.get_data(as_text=True))
    if response.status_code == 400:
        assert_bad_query(response)


def test_facet_words_are_not_searchable_as_text(client, create):
    create(headline="Rutte", lead="Kurz.", body_text="Text.", tags=["NATO"], section="politik")
    assert found(client, "tag_nato") == found(client, "section_politik") == set()
    assert found(client, "nato") == set()  # a tag is a filter, not a word of the article


def test_migrate_fills_the_index_of_an_existing_database(database_url, create, app, capfd):
    """Articles written before revision 0006s are found once `migrate` has filed them."""
    from alembic import command
    from alembic.config import Config

    from api.store import MIGRATIONS

    one = create(headline="Regierung tagt", lead="Kurz.", body_text="Text.")
    create(headline="Entwurf Regierung", lead="Kurz.", body_text="Text.", status="draft")
    store = Store(database_url, secret="test")
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with store.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0005")
    capfd.readouterr()
    store.upgrade()
    assert "search index: 1 of 1 articles" in capfd.readouterr().err
    store.close()
    app.extensions["store"].close()
    assert found(app.test_client(), "Regierungen") == {one["id"]}


def delete(client, auth, article_id: str) -> None:
    etag = client.get(f"/v1/articles/{article_id}").headers["ETag"]
    response = client.delete(f"/v1/articles/{article_id}", headers={**auth, "If-Match": etag})
    assert response.status_code == 204


@pytest.mark.parametrize("sort", ["published", "relevance"])
def test_deleting_the_last_article_of_a_page_skips_nothing(client, auth, create, sort):
    made = [
        create(
            headline=f"Rutte {i}",
            lead="Kurz.",
            body_text="Text.",
            published_at=f"2026-11-1{i}T10:00:00Z",
        )["id"]
        for i in range(6)
    ]
    order = ids(client, q="Rutte", sort=sort, limit=100)
    assert sorted(order) == sorted(made)
    first = client.get("/v1/articles", query_string={"q": "Rutte", "sort": sort, "limit": 2})
    page = first.get_json()
    assert [item["id"] for item in page["items"]] == order[:2]
    delete(client, auth, order[1])  # the article the cursor continues after
    rest = pages(client, cursor=page["next_cursor"], q="Rutte", sort=sort, limit=2)
    assert rest == order[2:]


EXAMPLES = itertools.count()
CHANGES = st.lists(
    st.tuples(st.sampled_from(["add", "delete", "retag", "unmatch"]), st.integers(0, 99)),
    min_size=1,
    max_size=8,
)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(changes=CHANGES, sort=st.sampled_from(["published", "relevance"]))
def test_cursors_neither_repeat_nor_skip_while_articles_change(client, auth, create, changes, sort):
    """Between pages, articles are added, deleted, retagged or edited out of the matches: a
    page never repeats an article, and every match that stayed one all along is shown."""
    tag = f"run-{next(EXAMPLES)}"  # this example's own articles
    made = [
        create(
            headline=("Rutte " * (i % 3 + 1)) + f"Bericht {i}",
            lead="Kurz." if i % 2 else "Rutte spricht lange mit vielen Leuten.",
            body_text="Text " * (i * 7 % 11 + 1),
            published_at=f"2026-11-{10 + i % 5}T1{i % 7}:00:00Z",
            tags=[tag],
        )["id"]
        for i in range(9)
    ]
    gone: set[str] = set()
    todo = list(changes)

    def change():
        if not todo:
            return
        kind, n = todo.pop(0)
        target = made[n % len(made)]
        if kind == "add":
            create(headline="Rutte neu", lead="Neu.", body_text="Text.", tags=[tag])
            return
        if target in gone:
            return
        etag = client.get(f"/v1/articles/{target}").headers["ETag"]
        headers = {**auth, "If-Match": etag}
        if kind == "delete":
            response = client.delete(f"/v1/articles/{target}", headers=headers)
            gone.add(target)
        elif kind == "retag":
            response = client.patch(
                f"/v1/articles/{target}", json={"tags": [tag, "neu"]}, headers=headers
            )
        else:
            response = client.patch(
                f"/v1/articles/{target}",
                json={"headline": "Anderes", "lead": "Kurz."},
                headers=headers,
            )
            gone.add(target)
        assert response.status_code in (200, 204)

    seen = pages(client, q="Rutte", tag=tag, sort=sort, limit=2, between=change)
    assert len(seen) == len(set(seen)), "an article was shown twice"
    assert set(made) - gone <= set(seen), "an article that matched all along was skipped"


def test_relevance_pages_keep_their_order_while_unrelated_articles_are_added(client, create):
    """An article's score comes from its own words only: with FTS5's bm25, which weighs words
    by statistics of the whole index (article count, average length), the articles added
    here reordered the two matches, so the second page was empty and one never shown."""
    short = create(headline="Wetter", lead="Kurz.", body_text="Rutte " + "x " * 2)["id"]
    long = create(headline="Wetter", lead="Kurz.", body_text="Rutte Rutte " + "x " * 30)["id"]
    before = ids(client, q="Rutte", sort="relevance")
    assert sorted(before) == sorted([short, long])

    def add_long_articles():
        for _ in range(30):
            create(headline="Lang", lead="Kurz.", body_text="y " * 300)

    assert pages(client, q="Rutte", sort="relevance", limit=1, between=add_long_articles) == (
        before
    )


def test_articles_filed_at_the_same_instant_each_get_a_key(client, create, monkeypatch):
    """More articles than one look-up of free keys covers, all wanting the same key."""
    from api.storage import search

    monkeypatch.setattr(search, "first_key", lambda published_at, article_id: 1 << 50)
    made = {create(headline=f"Rutte {i}", lead="Kurz.", body_text="Text.")["id"] for i in range(70)}
    assert set(pages(client, q="Rutte", limit=100)) == made
