"""`updated_after`, alone and with `q`: the same pages whether the few articles updated since
are read first or the list's index is walked (api/storage/filters.py), and the plans."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.storage import filters, matching, search
from schemas.query import ArticleListQuery


@pytest.fixture(params=["few", "many"])
def way(request, monkeypatch):
    """Both ways of reading `updated_after`: from the articles updated since, or (when more
    than FEW were) down the list's own index."""
    if request.param == "many":
        monkeypatch.setattr(filters, "FEW", 0)


def ids(client, **params) -> list[str]:
    response = client.get("/v1/articles", query_string={"limit": 100, **params})
    assert response.status_code == 200, response.get_json()
    return [item["id"] for item in response.get_json()["items"]]


def pages(client, **params) -> list[str]:
    seen, cursor = [], None
    for _ in range(20):
        query = {**params, "limit": 1, **({"cursor": cursor} if cursor else {})}
        page = client.get("/v1/articles", query_string=query).get_json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            return seen
    raise AssertionError("the cursor never ended")


def test_updated_after_alone_and_with_q_and_every_filter(client, auth, create, edit, way):
    made = [
        create(
            headline=f"{'Rutte' if i % 2 else 'Wetter'} Bericht {i}",
            lead="Kurz.",
            body_text="Text.",
            section="sport" if i % 3 else "politik",
            tags=["NATO"] if i < 4 else ["EU"],
            published_at=f"2026-11-1{i}T10:00:00Z",
        )
        for i in range(8)
    ]
    since = max(article["updated_at"] for article in made)
    edited = [made[0], made[1], made[3], made[4]]  # the oldest among them
    for article in edited:
        response = edit(article["id"], lead="Neu.")
        assert response.status_code == 200
    newest_first = [a["id"] for a in reversed(edited)]  # 4, 3, 1, 0
    rutte = [made[3]["id"], made[1]["id"]]
    assert ids(client, updated_after=since) == pages(client, updated_after=since) == newest_first
    assert ids(client, updated_after=since, section="politik") == [made[3]["id"], made[0]["id"]]
    assert ids(client, updated_after=since, tag="NATO") == newest_first[1:]
    assert ids(client, updated_after=since, published_before="2026-11-12T00:00:00Z") == [
        made[1]["id"],
        made[0]["id"],
    ]
    for sort in ("published", "relevance"):
        assert ids(client, q="Rutte", sort=sort, updated_after=since) == rutte
        assert pages(client, q="Rutte", sort=sort, updated_after=since) == rutte
        assert ids(client, q="Rutte", sort=sort, updated_after=since, section="politik") == [
            made[3]["id"]
        ]
        assert (
            ids(
                client, q="Rutte -Wetter", sort=sort, updated_after=since, tag="nato", language="de"
            )
            == rutte
        )
        assert ids(client, q="Rutte", sort=sort, updated_after="2999-01-01T00:00:00Z") == []
    assert ids(client, q='"Wetter Bericht" OR Rutte', updated_after=since) == newest_first
    assert ids(client, q="Neu", updated_after=since) == newest_first  # the edit is searchable
    assert ids(client, updated_after="2999-01-01T00:00:00Z") == []
    assert ids(client, updated_after="2999-01-01T00:00:00Z", tag="NATO") == []
    assert ids(client, updated_after="2000-01-01T00:00:00Z") == [a["id"] for a in reversed(made)]


LIST_QUERY = ArticleListQuery()
SHAPES = [{}, {"section": "politik"}, {"tag": ["NATO"]}, {"tag": ["NATO"], "author": "Ida"}]


def sqlite_plan(store, sql: str, params: dict) -> list[str]:
    if store.is_postgres:
        pytest.skip("SQLite's plan; PostgreSQL plans by table statistics")
    return [row[-1] for row in store._query("EXPLAIN QUERY PLAN " + sql, params)]


@pytest.mark.parametrize("shape", SHAPES + [{"q": "Rutte"}, {"q": "Rutte", "section": "sport"}])
def test_the_few_articles_updated_since_are_read_first_by_id(app, shape):
    """Neither the list's index nor FTS5 is walked: each id is looked up, then the few sorted."""
    store = app.extensions["store"]
    query = LIST_QUERY.load({**shape, "updated_after": "2026-11-01T00:00:00Z"})
    query["among"] = ["a", "b", "c"]
    now = datetime.now(UTC)
    if "q" in query:
        sql, params = matching.search_sql(store.db, query, now, search.key_of(now), None, 21, False)
    else:
        sql, params = store.list_sql(query, 20, now)
    plan = sqlite_plan(store, sql, params)
    assert plan[0].startswith("SEARCH a USING ") and "INDEX ix_articles_visible (id=?" in plan[0]
    assert not any("SCAN" in step or "VIRTUAL TABLE" in step for step in plan), plan


def test_the_articles_updated_since_are_counted_from_an_index(app):
    store = app.extensions["store"]
    since = store.db.db_time(datetime(2026, 11, 1, tzinfo=UTC))
    plan = sqlite_plan(store, filters.NARROW_SQL, {"since": since, "limit": filters.FEW + 1})
    assert plan == ["SEARCH articles USING COVERING INDEX ix_articles_updated (updated_at>?)"]


@pytest.mark.parametrize("shape", SHAPES)
def test_a_walk_checks_updated_after_in_the_index_it_reads(app, shape):
    """When many articles were updated since, the list's own index is walked: every index
    of `articles` it reads holds updated_at, so a row that fails costs no read of the table."""
    store = app.extensions["store"]
    query = LIST_QUERY.load({**shape, "updated_after": "2026-11-01T00:00:00Z"})
    plan = sqlite_plan(store, *store.list_sql(query, 20, datetime.now(UTC)))
    assert not any("SCAN" in step or "TEMP B-TREE" in step for step in plan), plan
    read = [step.split(" INDEX ")[1].split()[0] for step in plan if step.startswith("SEARCH a ")]
    assert read
    for index in read:
        columns = [row[2] for row in store._query(f"PRAGMA index_info('{index}')", {})]
        assert "updated_at" in columns, (index, columns)


WORDS = ["Rutte", "Haushalt", "Regierungen", "Köln", "Koeln", "Straße", "neu"]
QUERY_PIECES = WORDS + ['"Rutte Haushalt"', '"neu Köln"', "-Rutte", "-Strasse", "OR", "Regierung"]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(q=st.lists(st.sampled_from(QUERY_PIECES), min_size=1, max_size=4).map(" ".join))
def test_reading_the_few_finds_what_the_index_finds(client, create, q):
    """The few articles updated since are matched on their stored stems (SQLite), the walk
    by FTS5: both find the same articles, and so does the query without updated_after."""
    if not ids(client):  # the first example writes the articles
        for i in range(12):
            pick = [WORDS[(i * k + k) % len(WORDS)] for k in range(1, 4)]
            create(
                headline=" ".join(pick[:2]),
                lead=f"{pick[2]} {pick[0]}." if i % 2 else "Kurz.",
                body_text=" ".join(reversed(pick)) + (" Regierung neu Köln." if i % 3 else "."),
                tags=["NATO"] if i % 4 else ["EU"],
                published_at=f"2026-11-{10 + i}T10:00:00Z",
            )
    answers = []
    for few in (filters.FEW, 0):
        old, filters.FEW = filters.FEW, few
        try:
            for extra in ({}, {"tag": "NATO"}, {"sort": "relevance"}):
                query = {"q": q, "updated_after": "2000-01-01T00:00:00Z", **extra}
                response = client.get("/v1/articles", query_string={"limit": 100, **query})
                items = response.get_json().get("items", [])
                answers.append((extra.get("tag"), response.status_code, [i["id"] for i in items]))
        finally:
            filters.FEW = old
    assert answers[:3] == answers[3:]
    plain = client.get("/v1/articles", query_string={"limit": 100, "q": q})
    assert [i["id"] for i in plain.get_json().get("items", [])] == answers[0][2]
