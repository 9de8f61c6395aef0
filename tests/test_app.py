"""/health, /openapi.json and /docs."""

from __future__ import annotations


def test_health(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_openapi_is_generated_from_the_schemas(client):
    response = client.get("/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"].startswith("3.")
    assert {"/v1/articles", "/v1/articles/{key}", "/v1/changes"} <= set(spec["paths"])
    article_in = spec["components"]["schemas"]["ArticleIn"]
    assert {"headline", "lead"} <= set(article_in["required"])
    assert "ArticleOut" in spec["components"]["schemas"]
    post = spec["paths"]["/v1/articles"]["post"]
    assert post["summary"].startswith("Create an article")


def test_docs_work_offline(client):
    page = client.get("/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "/docs/assets/swagger-ui-bundle.js" in html
    for cdn in ("unpkg", "jsdelivr", "cdnjs"):
        assert cdn not in html
    asset = client.get("/docs/assets/swagger-ui-bundle.js")
    assert asset.status_code == 200 and len(asset.data) > 100_000
