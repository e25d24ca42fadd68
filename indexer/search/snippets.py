"""Snippets: the two or three sentences of a passage around the one that best matches the query.

A result list shows a few lines per result, not the whole passage: the window is built around
the sentence sharing the most query terms (the first such sentence on a tie, so the choice is
deterministic), then widened by its neighbours within a character budget. Offsets are into the
article body, like a passage's, so a snippet is exactly ``body[start:end]`` and paragraph breaks
inside it are kept. The words that match a query term are returned as spans, for the client to
mark; nothing here produces markup.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from indexer.models import Passage
from indexer.text.analysis import ACRONYM_MARK, analyse, analyse_query
from indexer.text.sentences import sentence_spans

# About three lines of a desktop result list; a phone shows five or six.
MAX_SNIPPET_CHARS = 240
MAX_SNIPPET_SENTENCES = 3
_WORD = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class Snippet:
    """``text`` is ``body[start:end]``; ``highlights`` are (start, end) body offsets of matching words.

    ``cut_before``/``cut_after``: the passage goes on before/after the snippet (a reader shows "…").
    """

    start: int
    end: int
    text: str
    highlights: tuple[tuple[int, int], ...]
    cut_before: bool
    cut_after: bool


def query_terms(query: str) -> frozenset[str]:
    """The terms a snippet marks: the query's search terms (stems), acronym terms left out.

    An acronym term (``nust~``) stands for a written-out name; marking its words would need the
    name's span, and the capitals themselves ("NUST") already match as a word.
    """
    return frozenset(term for term in analyse_query(query) if ACRONYM_MARK not in term)


def matching_words(text: str, terms: frozenset[str], *, offset: int = 0) -> list[tuple[int, int]]:
    """Spans (shifted by ``offset``) of the words of ``text`` whose own terms include a query term."""
    if not terms:
        return []
    spans = []
    for match in _WORD.finditer(text):
        if any(term in terms for term in analyse(match.group())):
            spans.append((offset + match.start(), offset + match.end()))
    return spans


def _overlap(text: str, terms: frozenset[str], weights: Mapping[str, float] | None) -> float:
    """The distinct query terms ``text`` holds, each counted by its weight (1 without weights)."""
    shared = terms.intersection(analyse(text))
    return float(len(shared)) if weights is None else sum(weights.get(term, 1.0) for term in shared)


def make_snippet(
    passage: Passage,
    terms: frozenset[str],
    *,
    weights: Mapping[str, float] | None = None,
    max_chars: int = MAX_SNIPPET_CHARS,
    max_sentences: int = MAX_SNIPPET_SENTENCES,
) -> Snippet:
    """The window of ``passage`` around its sentence that shares the most of ``terms``.

    ``weights`` (a term's IDF, say) make a rare term count for more than a common one, so
    "accelerator ... located" beats "acceleration ... business" when "business" is everywhere;
    without them every term counts 1. With no term in any sentence (a passage found by meaning
    alone) the window starts at the passage's first sentence. A best sentence longer than
    ``max_chars`` is cut at word boundaries around its first matching word.
    """
    text = passage.text
    spans = sentence_spans(text) or [(0, len(text))]
    scores = [_overlap(text[a:b], terms, weights) for a, b in spans]
    best = max(range(len(spans)), key=lambda i: (scores[i], -i))
    first, last = best, best
    # Widen one sentence at a time, forward first (what follows a match usually finishes the
    # thought, and the match stays on the first line), back when the passage ends, while the
    # window stays within both limits.
    while last - first + 1 < max_sentences:
        if last + 1 < len(spans) and spans[last + 1][1] - spans[first][0] <= max_chars:
            last += 1
        elif first > 0 and spans[last][1] - spans[first - 1][0] <= max_chars:
            first -= 1
        else:
            break
    start, end = spans[first][0], spans[last][1]
    if end - start > max_chars:
        start, end = _cut(text, start, end, terms, max_chars)
    highlights = matching_words(text[start:end], terms, offset=passage.start + start)
    return Snippet(
        start=passage.start + start,
        end=passage.start + end,
        text=text[start:end],
        highlights=tuple(highlights),
        cut_before=bool(text[:start].strip()),
        cut_after=bool(text[end:].strip()),
    )


def _cut(text: str, start: int, end: int, terms: frozenset[str], max_chars: int) -> tuple[int, int]:
    """A window of at most ``max_chars`` inside ``text[start:end]``, on word boundaries, near the first match."""
    matches = matching_words(text[start:end], terms, offset=start)
    anchor = matches[0][0] if matches else start
    # A quarter of the budget before the match gives it some context and keeps it on the first line.
    lo = max(start, min(anchor - max_chars // 4, end - max_chars))
    hi = min(end, lo + max_chars)
    words = [(m.start(), m.end()) for m in _WORD.finditer(text, lo, hi)]
    if not words:
        return lo, hi
    # Drop a word cut by either edge, unless it is the only one.
    if lo > start and len(words) > 1 and lo > 0 and _is_word_char(text[lo - 1]):
        words = words[1:]
    if hi < end and len(words) > 1 and hi < len(text) and _is_word_char(text[hi]):
        words = words[:-1]
    return words[0][0], _end_with_punctuation(text, words[-1][1], hi)


def _is_word_char(char: str) -> bool:
    return _WORD.fullmatch(char) is not None


def _end_with_punctuation(text: str, end: int, limit: int) -> int:
    """``end`` moved past closing punctuation right after the last word (a full stop, a quote), up to ``limit``."""
    while end < limit and text[end] in ".,;:!?»”’)\"'…":
        end += 1
    return end
