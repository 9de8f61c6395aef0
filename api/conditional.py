"""Conditional requests (RFC 9110 §13): ETags, If-None-Match, If-Modified-Since, If-Match.

One path for every answer: cached representations (caching.py), the answers that are not
cached (/openapi.json, /docs, /health) and the writes' If-Match all go through here.
"""

from __future__ import annotations

import hashlib

from werkzeug.http import parse_date, parse_etags, unquote_etag


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def if_none_match(header: str, etag: str) -> bool:
    """Whether If-None-Match names this ETag (weak comparison, RFC 9110 §13.1.2)."""
    if header == etag:  # what a client sends back nearly always: no parsing on the 304 path
        return True
    return parse_etags(header).contains_weak(unquote_etag(etag)[0])


def if_match(header: str, etag: str) -> bool:
    """Whether If-Match names this ETag, in its own form or as W/"…".

    Newswire sends strong ETags only, each a hash of the bytes it describes, but a proxy that
    compresses answers (nginx's gzip, most CDNs) hands them on weakened, and a client that read
    through it can only send that back. A weak tag holding the current hash still means the
    client edited the current bytes, so it matches; any older hash is still a 412.
    """
    return parse_etags(header).contains_weak(unquote_etag(etag)[0])


def is_fresh(environ: dict, etag: str, last_modified) -> bool:
    """Whether the client's copy is current (If-None-Match wins over If-Modified-Since)."""
    header = environ.get("HTTP_IF_NONE_MATCH")
    if header is not None:
        return if_none_match(header, etag)
    if_modified_since = environ.get("HTTP_IF_MODIFIED_SINCE")
    if last_modified is not None and if_modified_since:
        since = parse_date(if_modified_since)
        return since is not None and last_modified.replace(microsecond=0) <= since
    return False
