"""Long-poll on /v1/changes (`?wait=S`): a thin WSGI layer in front of the render cache.

A request that asks to wait, with nothing after its `since`, waits here for the head watch
(storage/watch.py) and then goes on as an ordinary read of the head it was woken with: served
from the render cache (`ServeCached`) like any cached answer, so a thousand woken waiters cost
one rendering and no database query of their own. When the wait runs out it goes on the same
way with the head it waited at, whose page is the empty one (`next_since == since`). Waiting
never consults the cache, so an empty page cached for a head can never answer a request that
asks to wait at that head.

The first woken waiter per query renders the page while the others with the same query wait
for it (`rendering`), so they find it cached instead of each reading the database at once.
"""

from __future__ import annotations

import threading

from flask import Flask
from marshmallow import ValidationError

from api import querystring
from api.caching import HEAD_KEY, PRIVATE
from api.store import Store
from schemas.query import ChangesQuery

PATH = "/v1/changes"
LOCKS = 64  # woken waiters with the same query string share one


class LongPoll:
    """WSGI layer: holds a `/v1/changes?wait=` request until the head passes its `since`."""

    def __init__(self, app: Flask, store: Store):
        self.store = store
        self.inner = app.wsgi_app
        self.query = ChangesQuery()
        # made here, in the serving process, so that gevent's patched locks are the ones made
        self.rendering = [threading.Lock() for _ in range(LOCKS)]

    def __call__(self, environ, start_response):
        if environ["REQUEST_METHOD"] != "GET" or environ.get("PATH_INFO") != PATH:
            return self.inner(environ, start_response)
        try:  # decoded as the view decodes it: `%77ait=` is `wait=`
            pairs = querystring.pairs(environ)
        except querystring.BadQueryString:
            return self.inner(environ, start_response)  # Flask answers the 400
        if not any(name == "wait" for name, _ in pairs):
            return self.inner(environ, start_response)
        fields: dict[str, str] = {}
        for name, value in pairs:
            fields.setdefault(name, value)  # the first of a repeated name, as the view reads
        try:
            query = self.query.load(fields)
        except ValidationError:
            return self.inner(environ, start_response)  # Flask answers the 400
        if not query["wait"]:
            return self.inner(environ, start_response)
        start_response = held(start_response)
        head = self.store.wait_past(query["since"], query["wait"])
        if head is None:  # the wait ran out: the page at the head it waited at is empty
            if self.store.watch.latest.seq >= 0:  # else ServeCached reads the head itself
                environ[HEAD_KEY] = self.store.watch.latest
            return self.inner(environ, start_response)
        environ[HEAD_KEY] = head
        with self.rendering[hash(environ.get("QUERY_STRING", "")) % LOCKS]:
            return self.inner(environ, start_response)


def held(start_response):
    """start_response for a long-poll's answer: `X-Accel-Buffering: no`, so a proxy in front
    (nginx) passes it on as it comes rather than buffering it; and not for shared caches
    (`no-cache`, no X-Accel-Expires), since one that kept the empty page a wait ran out with
    would answer the next waiter at once instead of letting it wait."""

    def start(status, headers, exc_info=None):
        headers = [
            PRIVATE[0] if k == "Cache-Control" and "public" in v else (k, v)
            for k, v in headers
            if k != "X-Accel-Expires"
        ]
        return start_response(status, [*headers, ("X-Accel-Buffering", "no")], exc_info)

    return start


def init_app(app: Flask, store: Store) -> None:
    """Install the layer outermost, in front of the render cache."""
    app.wsgi_app = LongPoll(app, store)
