"""Settings from the environment, with defaults that run out of the box."""

import json
import os
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def from_environment() -> dict:
    """Read every setting the app knows from environment variables."""
    return {
        "DATABASE_URL": os.environ.get("DATABASE_URL"),  # None: SQLite in the instance folder
        "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL", "").rstrip("/") or None,
        "DEFAULT_LANGUAGE": os.environ.get("DEFAULT_LANGUAGE", "de"),
        "SITE_TITLE": os.environ.get("SITE_TITLE", "Newswire"),
        "SITE_DESCRIPTION": os.environ.get(
            "SITE_DESCRIPTION", "Nachrichten aus der Newswire-Redaktion"
        ),
        "FEED_MAX_AGE": int(os.environ.get("FEED_MAX_AGE", "60")),
        # a closed feed archive page (see api/archives.py): a day, not forever, so that a
        # deletion leaves shared caches by then
        "ARCHIVE_MAX_AGE": int(os.environ.get("ARCHIVE_MAX_AGE", "86400")),
        "ARCHIVE_PAGE_SIZE": int(os.environ.get("ARCHIVE_PAGE_SIZE", "100")),
        "TOMBSTONE_DAYS": int(os.environ.get("TOMBSTONE_DAYS", "7")),  # RFC 6721, Atom
        "API_MAX_AGE": int(os.environ.get("API_MAX_AGE", "0")),
        # how long a shared cache (nginx, a CDN) may hold a public answer, and serve it stale
        # while it revalidates; caches count whole seconds, so a write shows through such a
        # cache within the sum plus one second (2 s by default)
        "SHARED_MAX_AGE": int(os.environ.get("SHARED_MAX_AGE", "1")),
        "SHARED_STALE": int(os.environ.get("SHARED_STALE", "0")),
        "CACHE_ENABLED": os.environ.get("CACHE_ENABLED", "1") not in ("0", "false", "no"),
        "SITE_TIMEZONE": time_zone(os.environ.get("SITE_TIMEZONE", "Europe/Berlin")),
        "SECTION_NAMES": section_names(os.environ.get("SECTION_NAMES", "{}")),
        "QUERY_TIMEOUT": float(os.environ.get("QUERY_TIMEOUT", "5")),  # seconds, per list read
        # webhooks (api/delivery.py): loopback and private receivers only when allowed
        "WEBHOOK_ALLOW_PRIVATE": os.environ.get("WEBHOOK_ALLOW_PRIVATE", "0")
        in ("1", "true", "yes"),
        "WEBHOOK_TIMEOUT": float(os.environ.get("WEBHOOK_TIMEOUT", "10")),  # per attempt
        "WEBHOOK_BACKOFF": float(os.environ.get("WEBHOOK_BACKOFF", "5")),  # first retry, doubling
        "WEBHOOK_BACKOFF_MAX": float(os.environ.get("WEBHOOK_BACKOFF_MAX", "3600")),
        "WEBHOOK_RETRY_FOR": float(os.environ.get("WEBHOOK_RETRY_FOR", "86400")),  # then disable
        "WEBHOOK_LEASE": float(os.environ.get("WEBHOOK_LEASE", "30")),  # > WEBHOOK_TIMEOUT
        "WEBSUB_HUB": os.environ.get("WEBSUB_HUB") or None,
        # FULL: a commit is on disk before it is acknowledged; NORMAL may lose the last
        # commits to a power cut or an OS crash (never to an app crash), for faster writes
        "SQLITE_SYNCHRONOUS": sqlite_synchronous(os.environ.get("SQLITE_SYNCHRONOUS", "FULL")),
        # signs list cursors (not Flask's SECRET_KEY: Newswire keeps no sessions); without it,
        # create_app keeps a random key in the instance folder (api/secret.py)
        "CURSOR_SECRET": os.environ.get("SECRET_KEY") or None,
    }


def time_zone(name: str) -> str:
    """An IANA time zone name (`Europe/Berlin`), checked at start-up."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"SITE_TIMEZONE: unknown time zone {name!r}") from exc
    return name


def section_names(text: str) -> dict[str, str]:
    """Display names of sections over the built-in ones, e.g. `{"us-wahl": "US-Wahl"}`."""
    from api.display import SECTION_NAMES

    try:
        names = json.loads(text)
    except ValueError:
        names = None
    if not isinstance(names, dict) or not all(isinstance(v, str) for v in names.values()):
        raise ValueError(
            'SECTION_NAMES: a JSON object of section → name, e.g. {"us-wahl": "US-Wahl"}'
        )
    return {**SECTION_NAMES, **names}


def sqlite_synchronous(value: str) -> str:
    if value.upper() not in ("FULL", "NORMAL"):
        raise ValueError(f"SQLITE_SYNCHRONOUS must be FULL or NORMAL, not {value!r}")
    return value.upper()


DEFAULTS = {
    "MAX_CONTENT_LENGTH": 1024 * 1024,  # SPEC §4: bodies over 1 MiB are a 413
    "API_TITLE": "Newswire",
    "API_VERSION": "1",
    "OPENAPI_VERSION": "3.1.0",
    "OPENAPI_URL_PREFIX": "/",
    "OPENAPI_JSON_PATH": "openapi.json",
    "OPENAPI_SWAGGER_UI_PATH": "docs",
    "OPENAPI_SWAGGER_UI_URL": "/docs/assets/",
}
