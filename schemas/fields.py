"""Reusable validated fields: every text rule of SPEC §2 is declared once, here."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime

import langcodes
from marshmallow import ValidationError, fields
from slugify import slugify

from schemas.html import is_allowed_url, settle

# Patterns that validate are used with fullmatch: `$` would also match before a final newline
SLUG_PATTERN = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
ID_SHAPE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")  # a UUID
LANGUAGE_SHAPE = re.compile(r"[A-Za-z0-9]+(-[A-Za-z0-9]+)*")  # langcodes also takes "de_AT"

GERMAN = [
    ["Ä", "Ae"],
    ["Ö", "Oe"],
    ["Ü", "Ue"],
    ["ä", "ae"],
    ["ö", "oe"],
    ["ü", "ue"],
    ["ß", "ss"],
    ["ẞ", "SS"],
]


# C0 controls but tab and newline, DEL and C1, surrogates, and the non-characters (those of
# the astral planes apart: one class holding them all is four times slower to search)
FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]")
FORBIDDEN_ASTRAL = re.compile(
    "["
    + "".join(chr(plane << 16 | 0xFFFE) + chr(plane << 16 | 0xFFFF) for plane in range(1, 17))
    + "]"
)


def forbidden_character(value: str) -> str | None:
    """A character that would break an XML feed or is a non-character, if any.

    Regular expressions, so that a mebibyte of text costs milliseconds, not a Python loop."""
    found = FORBIDDEN.search(value)
    if found is None and not value.isascii() and max(value) > "\uffff":
        found = FORBIDDEN_ASTRAL.search(value)
    return f"U+{ord(found.group()):04X}" if found else None


def check_text(value: str) -> str:
    """Normalise line ends and NFC, and refuse characters no feed can carry."""
    value = value.replace("\r\n", "\n")
    bad = forbidden_character(value)
    if bad:
        raise ValidationError(f"The character {bad} is not allowed.")
    return unicodedata.normalize("NFC", value)


def slugify_text(text: str, max_length: int = 120) -> str:
    """A URL slug with German transliteration; empty when the text has no letter or digit."""
    return slugify(text, max_length=max_length, word_boundary=True, replacements=GERMAN)


def article_slug(headline: str) -> str:
    """The slug an article gets from its headline: never empty, never shaped like an id."""
    slug = slugify_text(headline) or "artikel"
    return "artikel-" + slug if ID_SHAPE.fullmatch(slug) else slug


def tag_slug(label: str) -> str:
    """The slug a tag is stored, counted and filtered by: `Köln`, `köln` and `koeln` are one."""
    return slugify_text(label, max_length=60)


class Text(fields.String):
    """A string that passes `check_text`; the base of every text field."""

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        return check_text(super()._deserialize(value, attr, data, **kwargs))


class PlainText(Text):
    """Plain text: trimmed, with length limits, one line unless `multiline`."""

    def __init__(self, max_length: int, min_length: int = 1, multiline: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.max_length, self.min_length, self.multiline = max_length, min_length, multiline

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if not self.multiline and "\n" in text:
            raise ValidationError("Must be one line: no line breaks.")
        if not self.min_length <= len(text) <= self.max_length:
            raise ValidationError(
                f"Length must be between {self.min_length} and {self.max_length} characters."
            )
        return text


class HttpUrl(Text):
    """An absolute http(s) URL (or mailto: where allowed)."""

    def __init__(self, allow_mailto: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.allow_mailto = allow_mailto

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        url = super()._deserialize(value, attr, data, **kwargs).strip()
        if not is_allowed_url(url, self.allow_mailto):
            raise ValidationError(
                "Must be an absolute http(s) URL."
                + (" or mailto: address" if self.allow_mailto else "")
            )
        return url


class Slug(Text):
    """`[a-z0-9]+(-[a-z0-9]+)*`, as used in URLs."""

    def __init__(self, max_length: int = 120, **kwargs):
        super().__init__(**kwargs)
        self.max_length = max_length

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        slug = super()._deserialize(value, attr, data, **kwargs)
        if not SLUG_PATTERN.fullmatch(slug) or len(slug) > self.max_length:
            raise ValidationError(
                f"Must be lower-case letters and digits joined by single hyphens, "
                f"at most {self.max_length} characters."
            )
        return slug


class ArticleSlug(Slug):
    """An article's slug: a Slug that is not shaped like an article id (a UUID), since an
    article is found by either, and an id must always find its own article."""

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        slug = super()._deserialize(value, attr, data, **kwargs)
        if ID_SHAPE.fullmatch(slug):
            raise ValidationError("Must not have the shape of an article id (a UUID).")
        return slug


class LanguageTag(Text):
    """A valid BCP 47 language tag, in its standard form (`de-at` → `de-AT`)."""

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        tag = super()._deserialize(value, attr, data, **kwargs).strip()
        if len(tag) > 35 or not LANGUAGE_SHAPE.fullmatch(tag) or not langcodes.tag_is_valid(tag):
            raise ValidationError("Must be a valid BCP 47 language tag, such as de or de-AT.")
        return langcodes.standardize_tag(tag)


class Rfc3339DateTime(fields.Field):
    """RFC 3339 with a time-zone offset in; UTC with `Z` out."""

    def _deserialize(self, value, attr, data, **kwargs) -> datetime:
        if not isinstance(value, str) or not re.fullmatch(
            r"\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d:\d\d(\.\d{1,32})?([Zz]|[+-]\d\d:\d\d)?", value
        ):
            raise ValidationError("Must be an RFC 3339 date-time, e.g. 2026-11-24T09:30:00+01:00.")
        # RFC 3339 allows any number of fractional digits; we keep microseconds
        value = re.sub(r"(\.\d{6})\d+", r"\1", value)
        try:
            moment = datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
        except ValueError as exc:
            raise ValidationError("Not a valid date-time.") from exc
        if moment.tzinfo is None:
            raise ValidationError("Must include a time-zone offset, such as Z or +01:00.")
        try:
            return moment.astimezone(UTC)
        except OverflowError as exc:  # 0001-01-01T00:00:00+01:00 lies before year 1 in UTC
            raise ValidationError("Not a valid date-time.") from exc

    def _serialize(self, value, attr, obj, **kwargs) -> str | None:
        return None if value is None else rfc3339(value)


def rfc3339(moment: datetime) -> str:
    """A moment as every representation writes it: UTC with `Z`, e.g. 2026-11-24T08:30:00Z."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat() + "Z"


class SafeHtml(Text):
    """An HTML fragment within the allowlist; anything else is refused by name, never stripped."""

    def __init__(self, max_length: int = 100_000, **kwargs):
        super().__init__(**kwargs)
        self.max_length = max_length

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        html = super()._deserialize(value, attr, data, **kwargs)
        if len(html) > self.max_length:
            raise ValidationError(f"Longer than {self.max_length} characters.")
        settled = settle(html)
        check_text(settled)  # a character reference such as &#1; makes U+0001
        return settled
