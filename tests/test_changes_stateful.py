"""A stateful property test: after any sequence of writes, the stream rebuilds the visible set.

Two consumers watch: one follows the stream after every step, one starts from 0 each time.
Both must hold exactly what the public list shows, each article in its latest version.
"""

from __future__ import annotations

from collections import Counter

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import delete

from api.store import Base
from schemas.fields import slugify_text
from tests.test_changes import follow, visible


def test_stream_rebuild_rule_holds_after_every_step(app, client, auth):
    store = app.extensions["store"]

    class Newsroom(RuleBasedStateMachine):
        articles = Bundle("articles")

        def __init__(self):
            super().__init__()
            with store.writing() as session:
                for table in reversed(Base.metadata.sorted_tables):
                    if table.name != "tokens":
                        session.execute(delete(table))
            app.extensions["render_cache"].clear()  # as a fresh process would start
            self.copy: dict = {}
            self.since = 0
            self.links: dict = {}  # article id -> the article it links to

        def _etag(self, article_id):
            return client.get(f"/v1/articles/{article_id}", headers=auth).headers["ETag"]

        @rule(
            target=articles,
            status=st.sampled_from(["draft", "published"]),
            past=st.booleans(),
            section=st.sampled_from(["politik", "sport"]),
            tags=st.lists(st.sampled_from(["Köln", "Bonn", "Haushalt"]), unique=True),
        )
        def create(self, status, past, section, tags):
            response = client.post(
                "/v1/articles",
                headers=auth,
                json={
                    "headline": "Meldung",
                    "lead": "Vorspann.",
                    "body_text": "Text.",
                    "status": status,
                    "section": section,
                    "tags": tags,
                    "published_at": "2026-01-01T00:00:00Z" if past else "2999-01-01T00:00:00Z",
                },
            )
            assert response.status_code == 201
            return response.get_json()["id"]

        @rule(article_id=articles, lead=st.sampled_from(["Eins.", "Zwei.", "Drei."]))
        def edit(self, article_id, lead):
            response = client.patch(
                f"/v1/articles/{article_id}",
                json={"lead": lead},
                headers={**auth, "If-Match": self._etag(article_id)},
            )
            assert response.status_code in (200, 410)

        @rule(
            article_id=articles,
            status=st.sampled_from(["draft", "published"]),
            when=st.sampled_from(["2025-06-01T00:00:00Z", "2999-01-01T00:00:00Z", None]),
        )
        def set_status(self, article_id, status, when):
            response = client.patch(
                f"/v1/articles/{article_id}",
                json={"status": status, **({"published_at": when} if when else {})},
                headers={**auth, "If-Match": self._etag(article_id)},
            )
            assert response.status_code in (200, 410)

        @rule(article_id=articles, other=articles)
        def link(self, article_id, other):
            """An internal related item shows the target's headline while the target is visible."""
            if article_id == other:
                return
            response = client.patch(
                f"/v1/articles/{article_id}",
                json={"related": [{"article": other}]},
                headers={**auth, "If-Match": self._etag(article_id)},
            )
            assert response.status_code in (200, 410, 422)  # 422: the target was deleted
            if response.status_code == 200:
                self.links[article_id] = other

        @rule(
            article_id=articles,
            section=st.sampled_from(["politik", "sport", None]),
            tags=st.lists(st.sampled_from(["köln", "Bonn", "Wahl"]), unique=True),
        )
        def file(self, article_id, section, tags):
            response = client.patch(
                f"/v1/articles/{article_id}",
                json={"section": section, "tags": tags},
                headers={**auth, "If-Match": self._etag(article_id)},
            )
            assert response.status_code in (200, 410)

        @rule(article_id=articles, headline=st.sampled_from(["Meldung", "Neue Meldung"]))
        def retitle(self, article_id, headline):
            response = client.patch(
                f"/v1/articles/{article_id}",
                json={"headline": headline},
                headers={**auth, "If-Match": self._etag(article_id)},
            )
            assert response.status_code in (200, 410)

        @rule(article_id=consumes(articles))
        def remove(self, article_id):
            response = client.delete(
                f"/v1/articles/{article_id}", headers={**auth, "If-Match": self._etag(article_id)}
            )
            assert response.status_code == 204
            self.links.pop(article_id, None)

        @invariant()
        def stream_matches_the_visible_set(self):
            expected = visible(client)
            self.copy, self.since = follow(client, self.since, self.copy)
            assert self.copy == expected
            fresh, _ = follow(client, 0, limit=100)
            assert fresh == expected

        @invariant()
        def sections_and_tags_count_the_visible_set(self):
            expected = visible(client)
            sections = Counter(a["section"] for a in expected.values() if a["section"])
            tags = Counter(
                slugify_text(t, max_length=60) for a in expected.values() for t in a["tags"]
            )
            listed = client.get("/v1/sections").get_json()["sections"]
            assert {s["section"]: s["count"] for s in listed} == sections
            listed = client.get("/v1/tags").get_json()["tags"]
            assert {t["tag"]: t["count"] for t in listed} == tags

        @invariant()
        def links_show_what_their_targets_are_now(self):
            """Every copy holds a visible target's current headline and link, and no other."""
            expected = visible(client)
            for article_id, article in expected.items():
                internal = [item for item in article["related"] if "article" in item]
                target = expected.get(self.links.get(article_id))
                if target is None:
                    assert internal == []
                else:
                    assert internal == [
                        {"article": target["id"], "title": target["headline"], "url": target["url"]}
                    ]

    run_state_machine_as_test(
        Newsroom,
        settings=settings(
            max_examples=30,
            stateful_step_count=10,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
