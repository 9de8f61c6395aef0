"""Feed archives (RFC 5005): every feed, with its filters, one UTC day at a time.

`/feeds/archive/<YYYY-MM-DD>/<rss.xml|atom.xml|feed.json>` holds the visible articles published
that day (UTC), newest first, ARCHIVE_PAGE_SIZE at a time: a busier day continues after a
`cursor` (the list's keyset cursor). Once the day is over, no scheduled article can enter it,
so its pages are closed: marked `<fh:archive/>` and cacheable for ARCHIVE_MAX_AGE. A page
after a cursor holds only articles older than one already visible, so it is closed at once:
that is the page the subscription feed links to (README "Feed archives" says why, and what
deletions and edits still change).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from flask import Blueprint, Response, current_app, request
from webargs.flaskparser import parser
from werkzeug.exceptions import NotFound

from api.caching import cached
from api.feed_history import archive_url, current_url, filters_of, utc_day
from api.feeds import FORMATS, feed_channel
from api.store import get_store, utcnow
from api.urls import base_url, request_url
from schemas.query import ArchiveQuery

bp = Blueprint("archives", __name__, url_prefix="/feeds/archive")

ARCHIVE_QUERY = ArchiveQuery()
DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def day_window(day: str, now: datetime) -> tuple[datetime, datetime]:
    """[start, end) of a UTC day that has begun; 404 for anything else."""
    try:
        start = datetime.combine(date.fromisoformat(day), datetime.min.time(), UTC)
    except ValueError:
        start = None
    if not DAY.fullmatch(day) or start is None or start > now:
        raise NotFound("No feed archive for this day.")
    return start, start + timedelta(days=1)


@bp.get("/<day>/<any('rss.xml', 'atom.xml', 'feed.json'):name>")
@cached("FEED_MAX_AGE", ArchiveQuery)  # parsed in the view, so named here
def archive(day: str, name: str):
    """One day of a feed: a closed, unchanging archive page once the day is over."""
    now = utcnow()
    start, end = day_window(day, now)
    query = parser.parse(ARCHIVE_QUERY, request, location="query")
    config = current_app.config
    page = get_store().archive_page(
        filters_of(query),
        (start, end),
        query.get("cursor"),
        config["ARCHIVE_PAGE_SIZE"],
        base_url(),
        now,
    )
    articles = [document.data() for document in page.documents]
    closed = end <= now or bool(query.get("cursor"))
    if page.older_cursor:
        older = archive_url(name, utc_day(start), page.older_cursor)
    else:
        older = archive_url(name, utc_day(page.older)) if page.older else None
    # Only a day that is over: the newest day still fills, and is reached through `current`.
    # After a cursor, the newer part of the same day is its first page (whose end is not
    # known without reading the day from the top).
    newer_day = start.date() if query.get("cursor") else utc_day(page.newer) if page.newer else None
    if newer_day and newer_day + timedelta(days=1) > now.date():
        newer_day = None
    channel = feed_channel(query, articles)
    channel["self_url"] = request_url(ARCHIVE_QUERY)  # with its cursor
    channel["updated"] = max((a["updated_at"] for a in articles), default=start)
    channel["history"] = {
        "current": current_url(name),
        "prev-archive": older,
        "next-archive": archive_url(name, newer_day) if newer_day else None,
        "archive": closed,
    }
    render, mimetype = FORMATS[name]
    response = Response(render(articles, channel), mimetype=mimetype)
    if closed:
        response.cache_control.max_age = config["ARCHIVE_MAX_AGE"]
    return response
