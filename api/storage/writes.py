"""Writes: create, replace and delete articles, and announce scheduled ones at their instant.

Every write runs in one Database.writing() transaction and ends in `settle`, which stores the
article's representation, logs it, and refreshes the articles that link to it: an article shows
the headline and link of the articles it relates to while they are visible, so a write that
changes one of those re-renders, versions and logs every article that links to it, and the
stream stays an exact copy.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.storage import changelog, search
from api.storage.db import Database, utcnow
from api.storage.documents import Document, article_document, input_form, on_base
from api.storage.errors import Gone, IdempotencyConflict
from api.storage.listing import find
from api.storage.models import (
    Article,
    ArticleAuthor,
    ArticleTag,
    IdempotentResponse,
    RelatedItem,
    Scheduled,
    eager,
)
from schemas.fields import article_slug, slugify_text

ETagCheck = Callable[[Document], None]  # raises PreconditionFailed when the caller is stale


def create_article(
    db: Database,
    data: dict,
    base_url: str,
    default_language: str,
    idempotency: tuple[int, str, str] | None = None,
) -> tuple[Document, bool]:
    """Store a new article; with an idempotency key, a retry returns the first one.

    Returns the public article and whether it was created by this call.
    """
    now = utcnow()
    with db.writing() as session:
        if idempotency:
            token_id, key, request_hash = idempotency
            earlier = session.get(IdempotentResponse, (token_id, key))
            if earlier is not None:
                if earlier.request_hash != request_hash:
                    raise IdempotencyConflict(key)
                if earlier.document is not None:
                    return Document(on_base(earlier.document, base_url), earlier.created_at), False
                article = session.get(Article, earlier.article_id)  # kept before revision 0005
                if article is None or article.deleted_at is not None:
                    raise Gone(earlier.article_id)
                return as_sent(article, base_url), False
        article = Article(id=str(uuid.uuid4()), created_at=now, version=0, in_stream=False)
        apply(session, article, data, now, default_language)
        session.add(article)
        settle(session, article, now)
        if idempotency:
            session.add(
                IdempotentResponse(
                    token_id=idempotency[0],
                    key=idempotency[1],
                    request_hash=idempotency[2],
                    article_id=article.id,
                    created_at=now,
                    document=article.document,
                )
            )
        return as_sent(article, base_url), True


def update_article(
    db: Database,
    article_id: str,
    data: dict,
    base_url: str,
    check_etag: ETagCheck,
    default_language: str,
) -> Document:
    """Replace an article's content; `check_etag(current_document)` guards lost updates."""
    return patch_article(db, article_id, lambda _: data, base_url, check_etag, default_language)


def patch_article(
    db: Database,
    article_id: str,
    merge: Callable[[dict], dict],
    base_url: str,
    check_etag: ETagCheck,
    default_language: str,
) -> Document:
    """Change an article to `merge(its current input form)`, validated input for `apply`.

    The merge (which validates, HTML parse included) runs first on a read outside the lock, so
    that a long body holds no other writer; the write transaction, under the lock every writer
    takes, reads the article again and merges anew if its input form changed meanwhile. So two
    edits of different fields (even with `If-Match: *`) both stay. (Not the version: deleting
    a draft drops it from the related items of the articles naming it, whose versions stay,
    since readers saw nothing of it.)
    """
    with db.reading() as session:
        seen = find(session, article_id)
        check_etag(as_sent(seen, base_url))
    seen_as = (seen.id, input_form(seen))
    data = merge(input_form(seen))  # merge may change the dict it is given
    now = utcnow()
    with db.writing() as session:
        article = find(session, article_id)
        check_etag(as_sent(article, base_url))
        if (article.id, input_form(article)) != seen_as:  # written meanwhile: merge that
            data = merge(input_form(article))
        apply(session, article, data, now, default_language)
        settle(session, article, now)
        return as_sent(article, base_url)


def delete_article(db: Database, article_id: str, base_url: str, check_etag: ETagCheck) -> None:
    now = utcnow()
    with db.writing() as session:
        article = find(session, article_id)
        check_etag(as_sent(article, base_url))
        article.deleted_at = now
        article.updated_at = now
        article.version += 1
        settle(session, article, now)


def announce_due(db: Database, now: datetime) -> None:
    """Log every scheduled article whose instant has come, in a write like any other."""
    with db.writing() as session:
        due = session.scalars(
            select(Article)
            .join(Scheduled, Scheduled.article_id == Article.id)
            .where(Scheduled.due_at <= now)
        ).all()
        for article in due:
            settle(session, article, now)


def as_sent(article: Article, base_url: str) -> Document:
    return Document(on_base(article.document, base_url), article.updated_at)


def apply(
    session: Session, article: Article, data: dict, now: datetime, default_language: str
) -> None:
    """Copy validated input onto the article (the schema already checked every field)."""
    check_related(session, article.id, data.get("related") or [])
    if data.get("slug"):
        if data["slug"] != article.slug:
            article.slug = free_slug(session, data["slug"], article.id)
    elif not article.slug:
        article.slug = free_slug(session, article_slug(data["headline"]), article.id)
    article.headline = data["headline"]
    article.lead = data["lead"]
    article.body = data["body"]
    article.body_text = data["body_text"]
    article.language = data.get("language") or default_language
    article.section = data.get("section")
    article.canonical_url = data.get("canonical_url")
    article.image = data.get("image")
    article.status = data.get("status") or "draft"
    if data.get("published_at") is not None:
        article.published_at = data["published_at"]
    elif article.status == "published" and article.published_at is None:
        article.published_at = now  # the moment of first publication
    article.updated_at = now
    article.version = (article.version or 0) + 1
    article.tags = [
        ArticleTag(slug=tag["slug"], label=tag["label"], position=i)
        for i, tag in enumerate(data.get("tags") or [])
    ]
    article.authors = [
        ArticleAuthor(position=i, name=a["name"], url=a.get("url"), slug=slugify_text(a["name"]))
        for i, a in enumerate(data.get("authors") or [])
    ]
    article.related = [
        RelatedItem(
            position=i, target_id=item.get("article"), url=item.get("url"), title=item.get("title")
        )
        for i, item in enumerate(data.get("related") or [])
    ]


def check_related(session: Session, article_id: str | None, related: list[dict]) -> None:
    errors: dict[int, dict] = {}
    for i, item in enumerate(related):
        target = item.get("article")
        if target is None:
            continue
        if target == article_id:
            errors[i] = {"article": ["An article cannot be related to itself."]}
            continue
        found = session.scalar(
            select(Article.id).where(Article.id == target, Article.deleted_at.is_(None))
        )
        if found is None:
            errors[i] = {"article": [f"No article with id {target!r}."]}
    if errors:
        raise ValidationError({"related": errors})


def free_slug(session: Session, wanted: str, article_id: str | None) -> str:
    """`wanted`, or `wanted-2`, `-3`… when another article already has it.

    Candidates are looked up by equality, 50 at a time, so the slug index answers: a prefix
    match (`LIKE 'x-%'`) would read the table on SQLite and under most PostgreSQL collations.
    """
    first = 1
    while True:
        candidates = [candidate_slug(wanted, n) for n in range(first, first + 50)]
        taken = set(
            session.scalars(
                select(Article.slug).where(Article.slug.in_(candidates), Article.id != article_id)
            )
        )
        for slug in candidates:
            if slug not in taken:
                return slug
        first += 50


def candidate_slug(wanted: str, n: int) -> str:
    if n == 1:
        return wanted
    suffix = f"-{n}"
    return wanted[: 120 - len(suffix)].rstrip("-") + suffix


def settle(session: Session, article: Article, now: datetime) -> None:
    """Store the article's representation and log it; then refresh the articles linking to it.

    Those show its headline and link while it is visible, so each whose representation
    changes gets a new version and its own change. (They show nothing of their own related
    items' links, so this goes one step deep.) Deleting an article removes the links to it.
    """
    session.flush()
    session.refresh(article)
    before = changelog.filed_facets(session, article.id)
    after = changelog.file_facets(session, article)
    search.file(session, article)  # its words, while it is published
    article.document = article_document(article, now)
    changelog.log(session, article, now, before, after)
    referrers = session.scalars(
        select(Article)
        .where(
            Article.deleted_at.is_(None),
            Article.id != article.id,
            # by the index on target_id: a correlated EXISTS would read every article
            Article.id.in_(
                select(RelatedItem.article_id).where(RelatedItem.target_id == article.id)
            ),
        )
        .options(*eager())
    ).all()
    for other in referrers:
        if article.deleted_at is not None:
            other.related = [r for r in other.related if r.target_id != article.id]
        document = article_document(other, now)
        if document != other.document:
            other.version += 1
            other.updated_at = now
            other.document = article_document(other, now)  # with its new version
            filed = changelog.facets(other)  # unchanged by this write
            changelog.log(session, other, now, filed, filed)
