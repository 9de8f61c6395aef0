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
    query of these phrases (each its stems, in a row).

    Occurrences are counted by str.count, with every word between two spaces of its own so
    that repeats in a row count (a phrase's occurrences do not overlap: `c c` stands once in
    `c c c`); the whole window is scored in Python, so this stays in C where it can.
    """
    spaced, weighed = [], []
    for field, field_weight in zip(fields, FIELDS, strict=True):
        if field:
            spaced.append((f" {field.replace(' ', '  ')} ", field.count(" ") + 1))
            weighed.append(field_weight)
    total = 0.0
    for phrase in phrases:
        wanted = f" {'  '.join(phrase)} "
        frequency = 0.0
        for (text, length), (weight, typical) in zip(spaced, weighed, strict=True):
            hits = text.count(wanted)
            if hits:
                frequency += weight * hits / (1 - B + B * length / typical)
        total += frequency / (K1 + frequency)
    return total
