"""The benchmark's bulk loader writes what the store itself would write."""

from sqlalchemy import select, update

from api.store import Article, Store
from bench.load import load


def test_loaded_documents_are_what_the_store_renders(tmp_path):
    url = f"sqlite:///{tmp_path / 'bench.db'}"
    load(url, 30)
    store = Store(url, secret="test")
    try:
        with store.engine.connect() as conn:
            loaded = dict(conn.execute(select(Article.id, Article.document)).all())
        with store.engine.begin() as conn:
            conn.execute(update(Article).values(document=None))
        store.fill_documents()
        with store.engine.connect() as conn:
            rendered = dict(conn.execute(select(Article.id, Article.document)).all())
        assert len(loaded) == 30
        assert loaded == rendered
        sections = {s["section"]: s["count"] for s in store.sections()}
        assert sum(sections.values()) == 30 and len(sections) == 6  # one per article, 6 of them
        items, _ = store.list_articles({"tag": [store.tags()[0]["tag"]], "limit": 100}, "http://x")
        assert len(items) == store.tags()[0]["count"] > 0
    finally:
        store.close()
