"""`flask news …` as an operator runs it."""

from __future__ import annotations


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


def test_migrate_is_idempotent(runner):
    assert runner.invoke(args=["news", "migrate"]).exit_code == 0
    assert runner.invoke(args=["news", "migrate"]).exit_code == 0
