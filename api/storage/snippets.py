"""A search hit's snippet: a few words of its lead or body around the first words that match.

HTML: the text escaped, each word of the query marked `<mark>…</mark>`, `…` where the text
was cut. A word is marked when its stem (search.stems) is the stem of a word the query looks
for, excluded words aside, so `Regierungen` marks `Regierung`; words of a phrase are marked
wherever they stand. The same Python stemmer decides on both databases: on PostgreSQL, a
word that its `german` configuration matched in another way (another spelling of an umlaut)
can stay unmarked. The text is the stored document's, so a snippet costs no query; on SQLite
the first word of the query is found in the stems the index keeps for FTS5, on PostgreSQL
by stemming the words in turn. About 0.1 ms a hit (README "Speed").
"""

from __future__ import annotations

import functools
import html
import itertools
import json
import re

from api.storage.search import stems
from schemas.search import SearchQuery

LENGTH = 30  # words in a snippet, at most
BEFORE = 6  # words shown before the first marked one
TOKEN = re.compile(r"([^\W_]+)")  # a word as schemas.search.words finds them (before folding)
SPACE = re.compile(r"\s+")


def with_snippet(document: str, query: SearchQuery, *stemmed: str) -> str:
    """The stored document (JSON text) with its `snippet`; `stemmed`, the stems of its lead
    and body if the index keeps them (search.stems, else computed here)."""
    data = json.loads(document)
    text = snippet(query, data["lead"], data["body_text"], *stemmed)
    return document[:-1] + ',"snippet":' + json.dumps(text, ensure_ascii=False) + "}"


def snippet(query: SearchQuery, lead: str, body_text: str, *stemmed: str) -> str:
    """From the lead if a word of the query is in it, else from the body if one is there,
    else the lead's beginning (the match was in the headline, or is one stemming found)."""
    wanted = {stem for group in query.groups for term in group for stem in term_stems(term)}
    for text, stemmed_text in itertools.zip_longest((lead, body_text), stemmed):
        found = marked(text, wanted, stemmed_text)
        if found is not None:
            return found
    return marked(lead, wanted, stemmed[0] if stemmed else None, needed=False) or ""


def term_stems(term) -> list[str]:
    return stems(" ".join(term.words)).split()


@functools.lru_cache(maxsize=1 << 16)
def word_stems(word: str) -> frozenset[str]:
    """A word's stems (usually one): words repeat, so most are looked up, not stemmed."""
    return frozenset(stems(word).split())


def marked(text: str, wanted: set[str], stemmed: str | None, needed: bool = True) -> str | None:
    """LENGTH words of `text` from a little before the first wanted one, as HTML; None if
    `needed` and no word of it is wanted."""
    # pieces: what stands before the first word, a word, what follows it, and so on
    if stemmed is not None:  # SQLite: found in the stems the index keeps, split up to there
        first = first_wanted(stemmed, wanted)
        if first is None and needed:
            return None
        start = max(0, (first or 0) - BEFORE)
        pieces = TOKEN.split(text, maxsplit=start + LENGTH + 1)
    else:  # stemmed here, word by word up to the first wanted one (most are looked up)
        pieces = TOKEN.split(text)
        first = next((i for i, w in enumerate(pieces[1::2]) if wanted & word_stems(w)), None)
        if first is None and needed:
            return None
        start = max(0, (first or 0) - BEFORE)
    count = len(pieces) // 2  # words split off: one more than shown if the text goes on
    end = min(count, start + LENGTH)
    parts = ["… " if start else ""]
    plain = 2 * start + 1 if start else 0  # the first piece not written yet
    for at in range(2 * start + 1, 2 * end, 2):
        if wanted & word_stems(pieces[at]):
            parts += [between("".join(pieces[plain:at])), f"<mark>{html.escape(pieces[at])}</mark>"]
            plain = at + 1
    if end < count:  # the text goes on
        parts += [between("".join(pieces[plain : 2 * end])), " …"]
    else:
        parts.append(between("".join(pieces[plain:])))
    return "".join(parts).strip()


def first_wanted(stemmed: str, wanted: set[str]) -> int | None:
    """The number of the first word whose stem is wanted, found in the text's stems (one a
    word of its folded form: a word of the text, bar rare characters, where the mark may
    then sit a word off)."""
    spaced = f" {stemmed} "
    found = [at for at in (spaced.find(f" {stem} ") for stem in wanted) if at >= 0]
    return spaced.count(" ", 0, min(found)) if found else None


def between(text: str) -> str:
    """What stands between two words, escaped, a line break as a space."""
    return html.escape(SPACE.sub(" ", text))
