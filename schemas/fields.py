"""Reusable validated fields: every text rule of SPEC §2 is declared once, here."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from urllib.parse import urlsplit

import langcodes
from marshmallow import ValidationError, fields
from slugify import slugify

from schemas.html import ALLOWED_ELEMENTS, is_allowed_url, settle

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


def forbidden_character(value: str) -> str | None:
    """The first character that would break an XML feed or is a non-character, if any.

    A regular expression, so that a mebibyte of text costs milliseconds, not a Python loop.
    (XML 1.0 allows the non-characters of planes 1 to 16, so they pass.)"""
    found = FORBIDDEN_SEARCH.search(value)
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


def char_class(*ranges: tuple[int, int]) -> str:
    """The body of a regular-expression class, every member written as a range of escapes.

    Escapes read alike in Python, ECMA-262 and Rust; ranges (even of one character) are also
    what Hypothesis, and so Schemathesis, can draw from under the ASCII reading it gives
    JSON Schema patterns.
    """
    return "".join(f"\\u{low:04X}-\\u{high:04X}" for low, high in ranges)


# What `forbidden_character` refuses. Lone surrogates are left out: no regex engine of Unicode
# scalar values can name them, and no UTF-8 request can carry them.
FORBIDDEN = ((0x00, 0x08), (0x0B, 0x1F), (0x7F, 0x9F), (0xFDD0, 0xFDEF), (0xFFFE, 0xFFFF))
# What str.strip() removes (str.isspace) and the text fields allow; \s means other things in
# other dialects, so it is spelled out.
ALLOWED_SPACES = (
    (0x09, 0x0A),
    (0x20, 0x20),
    (0xA0, 0xA0),
    (0x1680, 0x1680),
    (0x2000, 0x200A),
    (0x2028, 0x2029),
    (0x202F, 0x202F),
    (0x205F, 0x205F),
    (0x3000, 0x3000),
)
FORBIDDEN_CLASS = char_class(*FORBIDDEN)
SPACE_CLASS = char_class(*ALLOWED_SPACES, (0x0D, 0x0D))  # with CR, which is forbidden alone
# A character, and a space, of text in a body: CRLF is read as a line break (`check_text`), a
# lone CR is refused.
ANY_CHAR = rf"(?:\r\n|[^{FORBIDDEN_CLASS}])"
SPACE = rf"(?:\r\n|[{char_class(*ALLOWED_SPACES)}])"
# The same in a query string, where api/querystring.py refuses every FORBIDDEN character before
# a field reads the value: the CR of a CRLF too.
QUERY_CHAR = rf"[^{FORBIDDEN_CLASS}]"
QUERY_SPACE = rf"[{char_class(*ALLOWED_SPACES)}]"
NON_SPACE = rf"[^{SPACE_CLASS}{FORBIDDEN_CLASS}]"
# the same, and the lone surrogates that only a Python string can hold, for `forbidden_character`
FORBIDDEN_SEARCH = re.compile(f"[{FORBIDDEN_CLASS}\ud800-\udfff]")


def one_group(pattern: str) -> str:
    """The pattern as one capturing group, which matches the same strings.

    For `make contract`: Schemathesis rewrites a pattern it can take apart, folding maxLength into
    its repetitions (`^(?:…){0,100000}$`), and its regex engine takes seconds to compile such a
    repetition of these Unicode classes, again for every schema it builds around it (a run took
    over ten times as long). A pattern that is one group it leaves as written.
    """
    return f"({pattern})"


def trimmed_text_pattern(multiline: bool, in_query: bool = False) -> str:
    """Text with a character other than whitespace; on one line once trimmed, unless multiline.

    The length is left to maxLength: a count in the pattern ("1 to 200 once trimmed") would be
    exact but makes regex engines and test generators crawl; padding beyond maxLength is the one
    thing the server accepts that the document does not.
    """
    space = QUERY_SPACE if in_query else SPACE
    if multiline:
        inner = QUERY_CHAR if in_query else ANY_CHAR
    else:
        inner = rf"[^\n{FORBIDDEN_CLASS}]"
    return one_group(rf"^{space}*{NON_SPACE}(?:{inner}*{NON_SPACE})?{space}*$")


class Text(fields.String):
    """A string that passes `check_text`; the base of every text field.

    `json_schema()` states the field's rule for the OpenAPI document (api/openapi.py reads it),
    so the document says exactly what the field accepts.
    """

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        return check_text(super()._deserialize(value, attr, data, **kwargs))

    @property
    def in_query(self) -> bool:
        """Whether the field reads a query string: its schema says so in `Meta.query_string`
        (schemas/query.py), and the document's pattern then leaves out the CR of a CRLF."""
        return bool(getattr(getattr(self.root, "Meta", None), "query_string", False))

    def json_schema(self) -> dict:
        return {"pattern": one_group(rf"^{QUERY_CHAR if self.in_query else ANY_CHAR}*$")}


class PlainText(Text):
    """Plain text: trimmed, with length limits, one line unless `multiline`.

    At most `max_length` characters as sent and at least `min_length` once trimmed.
    """

    def __init__(self, max_length: int, min_length: int = 1, multiline: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.max_length, self.min_length, self.multiline = max_length, min_length, multiline

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        if isinstance(value, str) and len(value) > self.max_length:  # as sent, so maxLength says it
            raise ValidationError(f"Longer than {self.max_length} characters.")
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if not self.multiline and "\n" in text:
            raise ValidationError("Must be one line: no line breaks.")
        if not self.min_length <= len(text) <= self.max_length:
            raise ValidationError(
                f"Length must be between {self.min_length} and {self.max_length} characters."
            )
        return text

    def json_schema(self) -> dict:
        kind = "Multi-line" if self.multiline else "One-line"
        return {
            "pattern": trimmed_text_pattern(self.multiline, self.in_query),
            "minLength": self.min_length,
            "maxLength": self.max_length,
            "description": f"{kind} plain text, at most {self.max_length} characters, and at"
            f" least {self.min_length} once surrounding whitespace is trimmed (stored trimmed and"
            " NFC-normalised).",
        }


class HttpUrl(Text):
    """An absolute http(s) URL (or mailto: where allowed)."""

    def __init__(self, allow_mailto: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.allow_mailto = allow_mailto

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        url = super()._deserialize(value, attr, data, **kwargs)
        if not is_allowed_url(url, self.allow_mailto):
            raise ValidationError(
                "Must be an absolute http(s) URL."
                + (" or mailto: address" if self.allow_mailto else "")
            )
        return percent_encoded(url)

    def json_schema(self) -> dict:
        pattern = HTTP_URL_PATTERN
        if self.allow_mailto:
            pattern = rf"(?:{pattern}|^[Mm][Aa][Ii][Ll][Tt][Oo]:{URL_CHAR}+$)"
        return {
            "pattern": one_group(pattern),
            "maxLength": URL_MAX_LENGTH,
            "description": "An absolute http(s) URL (non-ASCII characters are welcome).",
        }


# ASCII characters a URI never holds literally (RFC 3986), and a `%` that starts no escape
NOT_IN_URI = re.compile(r'[<>"{}|\\^`]|%(?![0-9A-Fa-f]{2})')
NOT_IN_URI_PATH = re.compile(r"[\[\]]")  # brackets belong to an IPv6 host only


def percent_encoded(url: str) -> str:
    """The URL with those characters percent-encoded, as browsers send it, so every feed,
    sitemap and page carries a valid URI (`?x=<1>|2` → `?x=%3C1%3E%7C2`). Non-ASCII
    characters stay: they are valid in the IRIs Atom and HTML take."""
    netloc = urlsplit(url).netloc
    split = url.index(netloc) + len(netloc) if netloc else 0
    rest = NOT_IN_URI_PATH.sub(percent_escape, url[split:])
    return NOT_IN_URI.sub(percent_escape, url[:split] + rest)


def percent_escape(match: re.Match) -> str:
    return f"%{ord(match.group()[0]):02X}"


URL_MAX_LENGTH = 2000  # as schemas/html.py's is_allowed_url
URL_CHAR = NON_SPACE
_HOST_CHAR = rf"[^/?#@\[\]:{SPACE_CLASS}{FORBIDDEN_CLASS}]"
# what `is_allowed_url` accepts: http(s), an optional user, a host, an optional port, the rest
HTTP_URL_PATTERN = (
    rf"^[Hh][Tt][Tt][Pp][Ss]?://(?:[^/?#@\[\]{SPACE_CLASS}{FORBIDDEN_CLASS}]*@)?{_HOST_CHAR}+"
    rf"(?::[^/?#@\[\]{SPACE_CLASS}{FORBIDDEN_CLASS}]*)?(?:[/?#]{URL_CHAR}*)?$"
)


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

    def json_schema(self) -> dict:
        return {"pattern": f"^{SLUG_PATTERN.pattern}$", "maxLength": self.max_length}


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
        tag = super()._deserialize(value, attr, data, **kwargs)
        if len(tag) > 35 or not LANGUAGE_SHAPE.fullmatch(tag) or not langcodes.tag_is_valid(tag):
            raise ValidationError("Must be a valid BCP 47 language tag, such as de or de-AT.")
        return langcodes.standardize_tag(tag)

    def json_schema(self) -> dict:
        return {
            "format": "bcp47",
            "pattern": f"^{LANGUAGE_SHAPE.pattern}$",
            "maxLength": 35,
            "description": "A valid BCP 47 language tag (IANA registry), such as de or de-AT.",
            "example": "de",
        }


class JsonInteger(fields.Integer):
    """An integer in a JSON body, as JSON Schema's `integer` says: 5 (or 5.0), never "5", 5.5 or
    true, which marshmallow's Integer would read as 5, 5 and 1."""

    def _validated(self, value) -> int:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return super()._validated(value)


class JsonBoolean(fields.Boolean):
    """true or false in a JSON body, as JSON Schema's `boolean` says: never 0, 1, "true" or
    "yes", which marshmallow's Boolean would take."""

    def _deserialize(self, value, attr, data, **kwargs) -> bool:
        if value is True or value is False:
            return value
        raise self.make_error("invalid", input=value)


class Rfc3339DateTime(fields.Field):
    """RFC 3339 with a time-zone offset in; UTC with `Z` out."""

    def _deserialize(self, value, attr, data, **kwargs) -> datetime:
        if not isinstance(value, str) or not re.fullmatch(
            r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,32})?"
            r"([Zz]|[+-][0-9]{2}:[0-9]{2})?",
            value,
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

    def json_schema(self) -> dict:
        return {"example": "2026-11-24T09:30:00+01:00"}  # type and format: api/openapi.py


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

    def json_schema(self) -> dict:
        return {
            "format": "html",
            "contentMediaType": "text/html",
            "pattern": one_group(rf"^{ANY_CHAR}*$"),
            "maxLength": self.max_length,
            "description": "An HTML fragment of these elements only: "
            + " ".join(sorted(ALLOWED_ELEMENTS))
            + "; attributes a[href title] and img[src alt], with absolute http(s) URLs"
            " (mailto: for a). Anything else is refused (422), never stripped.",
        }
