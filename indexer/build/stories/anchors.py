"""Translations without a multilingual model: what survives translation, plus publication dates close together.

A translation keeps its numbers (12 researchers, 30 million, 2,150 students), the names and
acronyms that stay in Latin script in a Russian or Chinese text (JITRI, State Grid, Haier) and
its urls; it is published within days of the original. Two articles in different languages,
dated within ``DATE_WINDOW_DAYS`` of each other, are one story when most anchors of the poorer
side are found in the other and enough of the shared ones are rare in the archive. Precision
comes first (a wrong merge hides news): undated articles and articles of unknown language are
never merged by this rule.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from indexer.models import Article

DATE_WINDOW_DAYS = 3
# At least this many anchors shared, and this share of the poorer side's anchors found in the other.
MIN_SHARED = 4
MIN_COVERAGE = 0.6
# The shared anchors' rarity: their summed idf (natural log of articles over articles holding it).
MIN_IDF_SUM = 6.0
_URL = re.compile(r"https?://[^\s<>\"')\]]+", re.IGNORECASE)
# A thousands-grouped number first ("2,150", "12 000"), then plain digits with an optional fraction.
_NUMBER = re.compile(r"(?<![\w.,])\d{1,3}(?:[,\u00a0 ]\d{3})+(?![\d])|\d+(?:[.,]\d+)?")
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-'][A-Za-z0-9]+)*")
_NOT_LETTERS = re.compile(r"[\W\d_]+")
_NOT_LATIN = re.compile(r"[^A-Za-z\u00c0-\u024f]+")


def numbers(text: str) -> frozenset[str]:
    """Numbers of two digits or more, written one way: "2,150" and "2 150" are "2150", "1,5" is "1.5"."""
    found = set()
    for match in _NUMBER.findall(text):
        if re.fullmatch(r"\d{1,3}(?:[,\u00a0 ]\d{3})+", match):
            value = re.sub(r"\D", "", match)
        else:
            value = match.replace(",", ".")
        if len(value.replace(".", "")) >= 2:
            found.add(value)
    return frozenset(found)


def is_latin_script(text: str) -> bool:
    """Whether most letters are Latin: its Latin words are then ordinary words, not kept names."""
    # Two passes over runs (not one match per letter): this runs over every article of the archive.
    letters = len(_NOT_LETTERS.sub("", text))
    latin = len(_NOT_LATIN.sub("", text))
    return (letters - latin) * 2 < letters


@dataclass(frozen=True, slots=True)
class Anchors:
    """What of an article would survive translation: ``kept`` (its own anchors) and ``words`` (every
    Latin-script word and number it holds, to look another article's anchors up in)."""

    id: str
    lang: str | None
    day: int | None
    kept: frozenset[str]
    words: frozenset[str]


def anchors_of(article: Article) -> Anchors:
    """Numbers and urls always; Latin words of a non-Latin text, acronyms of a Latin one."""
    text = f"{article.title}\n{article.body}"
    urls = frozenset(u.rstrip(".,;:").lower() for u in _URL.findall(text))
    plain = _URL.sub(" ", text)
    nums = numbers(plain)
    written = set(_LATIN_WORD.findall(plain))
    latin_words = frozenset(w.lower() for w in written)
    if is_latin_script(plain):
        # Acronyms and names with capitals inside ("JITRI", "SPbPU", "ATURC-2022").
        names = frozenset(w.lower() for w in written if sum(map(str.isupper, w)) >= 2)
    else:
        names = frozenset(w for w in latin_words if len(w) >= 2)
    day = dt.date.fromisoformat(article.date).toordinal() if article.date else None
    return Anchors(article.id, article.lang, day, nums | names | urls, nums | latin_words | urls)


def document_frequency(items: Sequence[Anchors]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in items:
        for anchor in item.kept:
            counts[anchor] = counts.get(anchor, 0) + 1
    return counts


def shared(a: Anchors, b: Anchors) -> tuple[frozenset[str], float]:
    """Anchors of one found in the other, and the share of the poorer side's anchors that were."""
    found_in_b = a.kept & b.words
    found_in_a = b.kept & a.words
    poorer, found = (a, found_in_b) if len(a.kept) <= len(b.kept) else (b, found_in_a)
    coverage = len(found) / len(poorer.kept) if poorer.kept else 0.0
    return found_in_b | found_in_a, coverage


def is_translation(a: Anchors, b: Anchors, df: dict[str, int], total: int) -> bool:
    """Different known languages, dated within the window, enough rare anchors shared, most of the poorer side's."""
    if a.lang is None or b.lang is None or a.lang == b.lang or a.day is None or b.day is None:
        return False
    if abs(a.day - b.day) > DATE_WINDOW_DAYS:
        return False
    common, coverage = shared(a, b)
    if len(common) < MIN_SHARED or coverage < MIN_COVERAGE:
        return False
    idf = sum(math.log(max(total, 1) / max(df.get(anchor, 1), 1)) for anchor in common)
    return idf >= MIN_IDF_SUM


def translation_pairs(articles: Sequence[Article]) -> list[tuple[str, str]]:
    """Pairs of articles judged translations of each other, by id, sorted.

    Candidates are blocked: two articles are compared only when they share an anchor held by few
    articles (a rare name, an exact figure) and their dates are within the window, so the cost
    follows those postings, not every pair of the archive.
    """
    items = [anchors_of(a) for a in articles]
    df = document_frequency(items)
    total = len(items)
    # Anchors held by more articles than this say nothing about which two belong together.
    rare = max(3, total // 50)
    postings: dict[str, list[int]] = {}
    for index, item in enumerate(items):
        if item.day is None or item.lang is None:
            continue
        for anchor in item.kept:
            if df[anchor] <= rare:
                postings.setdefault(anchor, []).append(index)
    candidates: set[tuple[int, int]] = set()
    for members in postings.values():
        for i, first in enumerate(members):
            for second in members[i + 1 :]:
                day_a, day_b = items[first].day, items[second].day
                if day_a is not None and day_b is not None and abs(day_a - day_b) <= DATE_WINDOW_DAYS:
                    candidates.add((first, second))
    found = []
    for i, j in candidates:
        if is_translation(items[i], items[j], df, total):
            a, b = sorted((items[i].id, items[j].id))
            found.append((a, b))
    return sorted(found)
