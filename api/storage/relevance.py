"""How well an article matches a search, on SQLite: from the article's own words alone.

FTS5's bm25() weighs words by statistics of the whole index (how many articles, how long they
are on average, how many hold the word), so an article's score changes whenever any article
is added, and a relevance listing could reorder between two of its pages. This score is the
BM25F formula without those statistics: for each term (word or phrase) of the query, its
occurrences in headline, lead and body, weighted 10 : 4 : 1, each field's count normalised by
the field's length against a typical length fixed here (not measured from the archive); the
sum saturates (k1), and the terms' shares are added, every term counting alike (no inverse
document frequency). PostgreSQL's ts_rank_cd likewise looks at one article only. The words
are the stems FTS5 was given (search.stems), which article_search keeps for FTS5 anyway.
"""

from __future__ import annotations

from collections.abc import Sequence

# (weight, typical length in words) of headline, lead and body: a news article's
FIELDS = ((10.0, 10), (4.0, 30), (1.0, 400))
K1 = 1.2  # how soon more occurrences stop counting
B = 0.75  # how much a field's length weighs


def score(phrases: Sequence[Sequence[str]], fields: Sequence[str]) -> float:
    """The relevance of an entry whose fields hold these stems (space-separated), to a
    query of these phrases (each its stems, in a row)."""
    tokens = [field.split(" ") if field else [] for field in fields]
    total = 0.0
    for phrase in phrases:
        frequency = 0.0
        for (weight, typical), words in zip(FIELDS, tokens, strict=True):
            hits = occurrences(words, phrase)
            if hits:
                frequency += weight * hits / (1 - B + B * len(words) / typical)
        total += frequency / (K1 + frequency)
    return total


def occurrences(words: list[str], phrase: Sequence[str]) -> int:
    """How often the phrase stands in `words`, its words in a row."""
    first, rest = phrase[0], list(phrase[1:])
    if not rest:
        return words.count(first)
    found, at = 0, -1
    while True:
        try:
            at = words.index(first, at + 1)
        except ValueError:
            return found
        if words[at + 1 : at + 1 + len(rest)] == rest:
            found += 1
