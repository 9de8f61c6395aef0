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
    total = 0.0
    for phrase in phrases:
        frequency = 0.0
        for field, (weight, typical) in zip(fields, FIELDS, strict=True):
            hits = occurrences(field, phrase)
            if hits:
                length = field.count(" ") + 1
                frequency += weight * hits / (1 - B + B * length / typical)
        total += frequency / (K1 + frequency)
    return total


def occurrences(field: str, phrase: Sequence[str]) -> int:
    """How often the phrase stands in the field, its words in a row (not overlapping: `c c`
    stands once in `c c c`). By str.count, as the whole window is scored in Python: with
    every word between two spaces of its own when a repeat in a row could be missed."""
    plain = " ".join(phrase)
    if plain not in field:
        return 0
    padded = f" {field} "
    if len(phrase) == 1 and f" {plain} {plain} " not in padded:
        return padded.count(f" {plain} ")
    return f" {field.replace(' ', '  ')} ".count(f" {'  '.join(phrase)} ")
