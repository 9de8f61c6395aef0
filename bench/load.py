"""Bulk loader: a database of N realistic German-looking articles, in minutes for a million.

Rows go straight into the tables through SQLAlchemy Core in large batches; the schema comes
from the app's own migrations, and every article gets the change-log row the app would write.
"""

from __future__ import annotations

import argparse
import random
import time
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from api.storage import search
from api.storage.changelog import facets_of
from api.storage.documents import public_form, render_document
from api.storage.models import (
    Article,
    ArticleAuthor,
    ArticleFacet,
    ArticleTag,
    Change,
    RelatedItem,
)
from api.store import Store
from schemas.fields import slugify_text

WORDS = (
    "Stadt Rat Haushalt Bahn Strecke Schule Museum Ausstellung Verein Aufstieg Klima Wetter "
    "Inflation Preise Energie Wärme Pumpe Gemeinde Bürger Bürgermeisterin Landkreis Polizei "
    "Feuerwehr Einsatz Brücke Straße Radweg Baustelle Sanierung Förderung Millionen Euro "
    "Unternehmen Gründer Fachkräfte Hochschule Forschung Studie Ergebnis Krankenhaus Pflege "
    "Ärztin Theater Konzert Festival Bibliothek Markt Hafen Flughafen Regionalbahn Busse "
    "Schülerticket Landtag Ministerium Gesetz Debatte Mehrheit Opposition Kritik Zustimmung "
    "Rekord Saison Trainer Mannschaft Spiel Tor Sieg Niederlage Meisterschaft Wahl Kandidat "
    "Umfrage Steuer Gewerbe Handel Weihnachtsgeschäft Export Industrie Werk Arbeitsplätze"
).split()
VERBS = "beschließt plant eröffnet meldet fordert kritisiert feiert verliert gewinnt prüft".split()
SECTIONS = ["politik", "wirtschaft", "sport", "kultur", "wissen", "panorama"]
TAGS = [f"{a} {b}" for a in WORDS[:20] for b in WORDS[20:30]]  # 200 labels
AUTHORS = [
    f"{first} {last}"
    for first in ("Anna Ben Clara David Emma Felix Greta Hannes Ida Jonas".split())
    for last in "Albrecht Brandt Cramer Dietz Engel Fuchs Graf Hahn Imhof Jung".split()
]


def sentence(rng: random.Random, words: int) -> str:
    chosen = [rng.choice(WORDS) for _ in range(words)]
    chosen.insert(2, rng.choice(VERBS))
    return " ".join(chosen).capitalize() + "."


def article_rows(i: int, rng: random.Random, start: datetime) -> dict:
    """Rows for article number i, published in the order of i."""
    article_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    headline = sentence(rng, 7)[:-1]
    paragraphs = [" ".join(sentence(rng, 12) for _ in range(3)) for _ in range(4)]
    published = start + timedelta(minutes=5 * i)
    tags = rng.sample(TAGS, 2 + i % 2)
    authors = rng.sample(AUTHORS, 1 + (i % 7 == 0))
    made = {
        "article": {
            "id": article_id,
            "slug": f"{slugify_text(headline, 100)}-{i}",
            "headline": headline,
            "lead": sentence(rng, 14) + " " + sentence(rng, 10),
            "body": "".join(f"<p>{p}</p>" for p in paragraphs),
            "body_text": "\n".join(paragraphs),
            "language": "de" if i % 20 else "en",
            "section": SECTIONS[i % len(SECTIONS)],
            "status": "published",
            "published_at": published,
            "created_at": published,
            "updated_at": published,
            "deleted_at": None,
            "version": 1,
            "canonical_url": None,
            "image": {"url": f"https://example.org/bilder/{i}.jpg", "alt": "Ein Foto"}
            if i % 10 == 0
            else None,
            "in_stream": True,
        },
        "tags": [
            {"article_id": article_id, "slug": slugify_text(t, 60), "label": t, "position": n}
            for n, t in enumerate(tags)
        ],
        "authors": [
            {
                "article_id": article_id,
                "position": n,
                "name": a,
                "slug": slugify_text(a),
                "url": None,
            }
            for n, a in enumerate(authors)
        ],
        "related": [
            {
                "article_id": article_id,
                "position": 0,
                "url": f"https://example.org/hinweis/{i}",
                "title": sentence(rng, 5),
                "target_id": None,
            }
        ]
        if i % 5 == 0
        else [],
        "change": {
            "seq": i + 1,
            "article_id": article_id,
            "kind": "upsert",
            "version": 1,
            "at": published,
        },
    }
    made["article"]["document"] = document_of(made)
    made["facets"] = [
        {"article_id": article_id, "kind": kind, "value": value, "published_at": published}
        for kind, value in sorted(
            facets_of(
                made["article"]["language"],
                made["article"]["section"],
                [(t["slug"], t["label"]) for t in made["tags"]],
                [(a["slug"], a["name"]) for a in made["authors"]],
            )
        )
    ]
    return made


def document_of(made: dict) -> str:
    """The stored representation, built by the store's own `public_form`."""
    public = public_form(
        made["article"],
        tags=[t["label"] for t in made["tags"]],
        authors=made["authors"],
        related=[{"title": r["title"], "url": r["url"]} for r in made["related"]],
    )
    return render_document(public)


def load(url: str, n: int, seed: int = 1, batch: int = 5000) -> None:
    """Create the schema and insert n published articles with their change-log rows."""
    store = Store(url, secret="bench")
    store.upgrade()
    rng = random.Random(seed)
    start = datetime(2026, 11, 24, tzinfo=UTC) - timedelta(minutes=5 * n)
    tables = {
        "article": Article.__table__,
        "tags": ArticleTag.__table__,
        "authors": ArticleAuthor.__table__,
        "related": RelatedItem.__table__,
        "change": Change.__table__,
        "facets": ArticleFacet.__table__,
    }
    began = time.monotonic()
    with store.engine.connect() as conn:
        sqlite = store.engine.dialect.name == "sqlite"
        if sqlite:  # through the driver: SQLAlchemy would open a transaction first
            conn.connection.dbapi_connection.execute("PRAGMA synchronous=OFF")
        for first in range(0, n, batch):
            rows: dict[str, list] = {name: [] for name in tables}
            for i in range(first, min(n, first + batch)):
                made = article_rows(i, rng, start)
                for name in tables:
                    part = made[name]
                    rows[name].extend(part if isinstance(part, list) else [part])
            with conn.begin():
                for name, table in tables.items():
                    if rows[name]:
                        conn.execute(table.insert(), rows[name])
            if first and first % 100_000 == 0:
                print(f"  {first:>9,} articles, {time.monotonic() - began:.0f}s", flush=True)
    with store.engine.begin() as conn:  # the full-text index, as `flask news migrate` fills it
        search.fill(conn, lambda line: print(line, flush=True))
    store.recount_facets()
    with store.engine.connect() as conn:
        with conn.begin():
            conn.execute(text("ANALYZE"))
    store.close()
    print(f"loaded {n:,} articles in {time.monotonic() - began:.0f}s", flush=True)


if __name__ == "__main__":
    cli = argparse.ArgumentParser(description=__doc__)
    cli.add_argument("url", help="SQLAlchemy URL of an empty database")
    cli.add_argument("n", type=int)
    args = cli.parse_args()
    load(args.url, args.n)
