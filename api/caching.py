"""Representations rendered once per change-log head, and answered before Flask runs.

Every cached entry is keyed by the head of the change log (`Store.head()`), so any number of
workers and machines agree on what is current without talking to each other: a write moves the
head, and the next request to any worker renders afresh. A scheduled article moves the head at
its instant (the head announces it), and `max-age` is clipped so downstream caches expire then.

Views fill the cache (`@cached`); `ServeCached`, a thin WSGI layer in front of Flask, answers a
public GET whose representation is already stored before Flask runs at all, which is what gives
cached reads the speed of static files. Both answer through `answer()`, so they cannot differ,
and both read the head once per request (`request_head`).

The key holds the query's parameters that the view reads (api/querystring.py), not the raw
query string, so parameters it ignores make no new entries; the size bound counts keys and
headers as well as bodies, and the number of entries is capped too.
"""

from __future__ import annotations

import functools
import logging
import math
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from threading import Lock

from flask import Flask, Response, current_app, request
from marshmallow import Schema
from werkzeug.http import http_date

from api import querystring
from api.conditional import etag_of, is_fresh
from api.cors import CORS_HEADERS
from api.store import Head, Store, get_store, utcnow

log = logging.getLogger(__name__)

HEAD_KEY = "newswire.head"  # where a request's head waits in the WSGI environ

Headers = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Rendered:
    """One stored representation: the bytes, and the headers that describe them, ready to send."""

    body: bytes
    etag: str
    last_modified: datetime | None
    headers: tuple[tuple[str, str], ...]  # Content-Type, ETag, Last-Modified and the view's own
    freshness: Freshness | None  # how long caches may hold it, before clipping


ENTRY_OVERHEAD = 1024  # bytes an entry costs beyond its strings: objects, tuples, the LRU's links


def entry_size(key: tuple, entry: Rendered) -> int:
    """What an entry holds in memory, near enough: body, headers, key, and the objects."""
    seq, path, pairs, base = key
    key_bytes = len(path) + sum(len(n) + len(v) for n, v in pairs) + len(str(base))
    header_bytes = sum(len(n) + len(v) for n, v in entry.headers)
    return len(entry.body) + header_bytes + key_bytes + ENTRY_OVERHEAD


class RenderCache:
    """An LRU of rendered representations, bounded in bytes and in entries."""

    def __init__(self, max_bytes: int = 32 * 1024 * 1024, max_entries: int = 4096):
        self.max_bytes, self.max_entries = max_bytes, max_entries
        self.size = 0
        self.entries: OrderedDict[tuple, tuple[Rendered, int]] = OrderedDict()
        self.lock = Lock()

    def get(self, key: tuple) -> Rendered | None:
        with self.lock:
            found = self.entries.get(key)
            if found is None:
                return None
            self.entries.move_to_end(key)
            return found[0]

    def put(self, key: tuple, entry: Rendered) -> None:
        size = entry_size(key, entry)
        with self.lock:
            old = self.entries.pop(key, None)
            if old is not None:
                self.size -= old[1]
            self.entries[key] = (entry, size)
            self.size += size
            while len(self.entries) > 1 and (
                self.size > self.max_bytes or len(self.entries) > self.max_entries
            ):
                _, (_, dropped) = self.entries.popitem(last=False)
                self.size -= dropped

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()
            self.size = 0


def answer(entry: Rendered, environ: dict, caching: Headers, status: int = 200):
    """Status, headers and body for the entry: a 304 when the client's copy is current.
    `caching` holds the headers that say how long caches may keep it."""
    common = [*CORS_HEADERS, *caching]
    if is_fresh(environ, entry.etag, entry.last_modified):
        validators = [(k, v) for k, v in entry.headers if k in ("ETag", "Last-Modified")]
        return 304, validators + common, b""
    return status, list(entry.headers) + common, entry.body


PRIVATE: Headers = (("Cache-Control", "no-cache"),)  # with credentials, or not for the cache


def send(entry: Rendered, caching: Headers = PRIVATE, status: int = 200) -> Response:
    """The answer as a Flask response."""
    status, headers, body = answer(entry, request.environ, caching, status)
    return Response(body, status=status, headers=headers)


OWN_HEADERS = {"content-length", "etag", "last-modified", "cache-control"}


def entry_of(
    response: Response, freshness: Freshness | None, last_modified: datetime | None = None
) -> Rendered:
    """Freeze a view's 200 response into a cache entry (`last_modified` if it sets none)."""
    body = response.get_data()
    etag = etag_of(body)
    headers = [(k, v) for k, v in response.headers.items() if k.lower() not in OWN_HEADERS]
    headers.append(("ETag", etag))
    last_modified = response.last_modified or last_modified
    if last_modified is not None:
        headers.append(("Last-Modified", http_date(last_modified)))
    return Rendered(body, etag, last_modified, tuple(headers), freshness)


@dataclass(frozen=True)
class Freshness:
    """How long caches may hold a public answer, in seconds: browsers (`max_age`), and shared
    caches such as nginx or a CDN (`shared`, then `stale` more while they revalidate)."""

    max_age: int
    shared: int = 0
    stale: int = 0
    clip: bool = True  # False when no scheduled article can change the answer (a closed archive)

    def headers(self, next_due: datetime | None, now: datetime) -> Headers:
        """Cache-Control, every lifetime cut so that no cache, whether it serves fresh or stale,
        holds the answer past the next scheduled instant; and X-Accel-Expires for nginx.

        Caches count ages in whole seconds (nginx stores "valid until" as a second and serves
        through the whole of it), so shared lifetimes end a second before the instant. Counted
        from the second it stores the answer in, nginx would hold `s-maxage=1` up to 2 s; so
        the same lifetime also goes to nginx as the last second it may serve the answer in
        (`X-Accel-Expires: @…`, which overrides Cache-Control for nginx and which it never
        passes on): a hot URL is then fetched anew as each second begins, and a write shows
        within one."""
        if next_due is None or not self.clip:
            left = None
        else:
            left = max(0, math.floor((next_due - now).total_seconds()))
        room = None if left is None else max(0, left - 1)
        shared = self.shared if room is None else min(self.shared, room)
        # nginx hands its copy on unchanged, with no Age header, up to `shared` seconds after
        # this second began; a browser counts max-age from then, and stale-while-revalidate
        # after it (browsers serve stale too)
        max_age = self.max_age if left is None else min(self.max_age, left - shared)
        if room is None:
            stale = self.stale
        else:
            stale = min(self.stale, room - shared, left - shared - max_age)
        value = f"public, max-age={max_age}"
        if not self.shared:
            return (("Cache-Control", value),)
        value += f", s-maxage={shared}"
        if stale > 0:
            value += f", stale-while-revalidate={stale}"
        if shared == 0:
            return (("Cache-Control", value),)
        last_second = math.floor(now.timestamp()) + shared - 1
        return (("Cache-Control", value), ("X-Accel-Expires", f"@{last_second}"))


def freshness(max_age_setting: str) -> Freshness:
    config = current_app.config
    return Freshness(config[max_age_setting], config["SHARED_MAX_AGE"], config["SHARED_STALE"])


def cache_key(environ: dict, seq: int, public_base_url: str | None, names: frozenset) -> tuple:
    """What a representation depends on: the head, the path, the query's parameters the view
    reads (`names`), and the base of its links. BadQueryString for a query that is not text."""
    base = public_base_url or (
        environ.get("wsgi.url_scheme", ""),
        environ.get("HTTP_HOST", ""),
        environ.get("SCRIPT_NAME", ""),
    )
    path = environ.get("PATH_INFO", "")
    return (seq, path, querystring.known(environ, names), base)


def request_head(now: datetime) -> Head:
    """The head for this request: read once, by ServeCached or by the first to ask."""
    head = request.environ.get(HEAD_KEY)
    if head is None:
        head = request.environ[HEAD_KEY] = get_store().head(now)  # announces due articles
    return head


def cached(max_age_setting: str, query: type[Schema] | Schema | None = None) -> Callable:
    """Serve a public GET from the representation cache, keyed by the change-log head.

    The key holds only the query parameters the view reads: those of its flask-smorest
    query arguments, and of `query`, the schema of any it parses itself. So a view must read
    no other parameter (nor echo the raw query string). Runs before the view parses its
    arguments, so a 304 or a hit costs one small query. Requests with credentials see
    drafts, so they are rendered and not stored. A view that sets its own max-age (a closed
    feed archive) gets it for browsers, never clipped.
    """

    def decorator(view: Callable) -> Callable:
        names = querystring.names_of(query) | argument_names(view)

        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            app = current_app
            now = utcnow()
            head = request_head(now)
            if "Authorization" in request.headers:
                response = view(*args, **kwargs)
                if response.status_code != 200:
                    return response
                return send(entry_of(response, None))
            key = cache_key(request.environ, head.seq, app.config["PUBLIC_BASE_URL"], names)
            cache: RenderCache = app.extensions["render_cache"]
            enabled = app.config["CACHE_ENABLED"]
            entry = cache.get(key) if enabled else None
            if entry is None:
                response = view(*args, **kwargs)
                if response.status_code != 200:
                    return response
                fresh = freshness(max_age_setting)
                if response.cache_control.max_age is not None:
                    fresh = replace(fresh, max_age=response.cache_control.max_age, clip=False)
                entry = entry_of(response, fresh, head.changed_at)
                if enabled and not reads_undeclared_query(names):
                    cache.put(key, entry)
            return send(entry, entry.freshness.headers(head.next_due, now))

        wrapper.query_names = names  # read by `all_query_names`
        return wrapper

    return decorator


def conditional(response: Response) -> Response:
    """After every request: the answers `@cached` does not render (/openapi.json, /docs,
    /health) get an ETag and a 304 through the same `answer()`."""
    if (
        request.method in ("GET", "HEAD")
        and response.status_code == 200
        and "ETag" not in response.headers
        and not response.direct_passthrough
    ):
        return send(entry_of(response, None))
    return response


class ServeCached:
    """WSGI layer: answers a public GET from the cache before Flask runs; the rest passes on."""

    def __init__(self, app: Flask, store: Store, cache: RenderCache):
        self.app, self.store, self.cache = app, store, cache
        self.flask = app.wsgi_app
        self.query_names = all_query_names(app)

    def __call__(self, environ, start_response):
        config = self.app.config
        if (
            environ["REQUEST_METHOD"] != "GET"
            or "HTTP_AUTHORIZATION" in environ
            or not config["CACHE_ENABLED"]
        ):
            return self.flask(environ, start_response)
        now = utcnow()
        try:  # a long-poll (api/longpoll.py) brings the head it was woken with
            head = environ[HEAD_KEY] = environ.get(HEAD_KEY) or self.store.head(now)
        except Exception:  # let Flask meet the error and answer it as a problem
            return self.flask(environ, start_response)
        try:
            key = cache_key(environ, head.seq, config["PUBLIC_BASE_URL"], self.query_names)
        except querystring.BadQueryString:  # Flask answers it as a problem
            return self.flask(environ, start_response)
        entry = self.cache.get(key)
        if entry is None:
            return self.flask(environ, start_response)
        caching = entry.freshness.headers(head.next_due, now)
        status, headers, body = answer(entry, environ, caching)
        if status == 200:
            headers.append(("Content-Length", str(len(body))))
        start_response(STATUS_LINES[status], headers)
        return [body]


STATUS_LINES = {200: "200 OK", 304: "304 Not Modified"}


def reads_undeclared_query(names: frozenset[str]) -> bool:
    """Whether a view that declares no query parameters read the query string all the same:
    its answer is then not stored, since the key could not tell its variants apart."""
    if names or "args" not in request.__dict__:  # Werkzeug keeps parsed args there
        return False
    log.error("%s reads the query string but declares no parameters to @cached", request.path)
    return True


def argument_names(view: Callable) -> frozenset[str]:
    """The query parameters of a view's flask-smorest arguments (as it documents them)."""
    parameters = getattr(view, "_apidoc", {}).get("arguments", {}).get("parameters", [])
    return frozenset().union(
        *(querystring.names_of(p["schema"]) for p in parameters if p["in"] == "query")
    )


def all_query_names(app: Flask) -> frozenset[str]:
    """Every query parameter some cached view reads: ServeCached's key, before routing.

    A superset of any one view's parameters is safe: ServeCached then keys on a parameter
    that the view ignores, misses, and Flask's `@cached` answers from its own exact key.
    """
    found: frozenset[str] = frozenset()
    for view in app.view_functions.values():
        view = getattr(getattr(view, "view_class", None), "get", view)  # a MethodView's GET
        found |= getattr(view, "query_names", frozenset())
    return found


def init_app(app: Flask, store: Store) -> None:
    """The render cache, the conditional answers, and the WSGI layer in front of Flask."""
    cache = app.extensions["render_cache"] = RenderCache()
    app.after_request(conditional)
    app.wsgi_app = ServeCached(app, store, cache)
