"""The search box: `q` parsed once, the way PostgreSQL's websearch_to_tsquery reads it.

Words are ANDed, `"a phrase"` matches words in a row, `-word` (or `-"a phrase"`) excludes, and
`OR` (upper case) between two words or phrases accepts either. Everything else a user types is
text: punctuation separates words and is otherwise ignored, so no string can be an operator of
the database's own query language. The storage layer builds its FTS5 MATCH expression or
tsquery from the parsed terms (api/storage/search.py), never from the raw string.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

from marshmallow import ValidationError

from schemas.fields import PlainText

MAX_LENGTH = 200  # characters of q
MAX_TERMS = 12  # words and phrases, excluded ones included
MAX_PHRASE_WORDS = 8  # words in one phrase (or one hyphenated word)
RANKED = 1000  # with sort=relevance, the newest matches that are ranked (README "Search")
KEEP = frozenset("äöüß")  # folded by the stemmers themselves; every other diacritic goes here
WORD = re.compile(r"[^\W_]+")
NON_ASCII = re.compile(r"[^\x00-\x7f]+")
PIECE = re.compile(r'(-?)"([^"]*)"?|(\S+)')  # an optionally negated phrase, or a bare word


@dataclass(frozen=True)
class Term:
    """A word, or a phrase: folded words that must appear in this order, one after another."""

    words: tuple[str, ...]


@dataclass(frozen=True)
class SearchQuery:
    """Every group must match (a group matches when any of its terms does); no excluded term
    may match. The text is the query as typed, for feeds' titles."""

    groups: tuple[tuple[Term, ...], ...]
    excluded: tuple[Term, ...]
    text: str


def fold(text: str) -> str:
    """Lower case, and diacritics removed except the German ones (ä ö ü ß), which each stemmer
    folds itself; applied to documents and queries alike, on both databases."""
    return NON_ASCII.sub(fold_run, unicodedata.normalize("NFC", text.lower()))


@functools.lru_cache(maxsize=4096)
def fold_chars(run: str) -> str:
    out = []
    for char in run:
        if char in KEEP:
            out.append(char)
        else:
            decomposed = unicodedata.normalize("NFKD", char)
            out.append("".join(c for c in decomposed if not unicodedata.combining(c)))
    return "".join(out)


def fold_run(match: re.Match) -> str:
    return fold_chars(match.group())


def words(text: str) -> list[str]:
    """The folded words of a text: runs of letters and digits."""
    return WORD.findall(fold(text))


def parse(text: str) -> SearchQuery:
    """The query's terms; a ValidationError when nothing in it can be searched for."""
    groups: list[list[Term]] = []
    excluded: list[Term] = []
    pending_or = after_word = False  # OR joins two terms that are not excluded
    for match in PIECE.finditer(text):
        negated, phrase, bare = match.group(1), match.group(2), match.group(3)
        if bare == "OR":
            pending_or = after_word
            continue
        if bare is not None:
            negated = "-" if bare.startswith("-") else ""
            phrase = bare.lstrip("-")
        found = tuple(words(phrase or ""))
        if not found:
            continue
        if len(found) > MAX_PHRASE_WORDS:
            raise ValidationError(f"A phrase may have at most {MAX_PHRASE_WORDS} words.")
        term = Term(found)
        if negated:
            excluded.append(term)
        elif pending_or:
            groups[-1].append(term)
        else:
            groups.append([term])
        pending_or, after_word = False, not negated
    if sum(len(group) for group in groups) + len(excluded) > MAX_TERMS:
        raise ValidationError(f"Search for at most {MAX_TERMS} words or phrases.")
    if not groups:
        raise ValidationError("Give at least one word to search for (not only excluded ones).")
    return SearchQuery(tuple(tuple(group) for group in groups), tuple(excluded), text)


class SearchText(PlainText):
    """`q`: the search box, checked like any plain text and parsed into a SearchQuery."""

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "metadata",
            {
                "description": (
                    "Full-text search over headline, lead and body, with German stemming and"
                    ' umlaut folding. Words are ANDed; "a phrase" matches words in a row;'
                    " -word excludes; OR between two words or phrases accepts either."
                    f" At most {MAX_LENGTH} characters and {MAX_TERMS} words or phrases."
                )
            },
        )
        super().__init__(MAX_LENGTH, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs) -> SearchQuery:
        return parse(super()._deserialize(value, attr, data, **kwargs))

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else getattr(value, "text", value)
