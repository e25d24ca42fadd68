"""Sentences: where one ends in English, Russian and Chinese text, as exact character spans."""

from __future__ import annotations

import re

# A sentence ends at . ! ? or … (plus closing quotes/brackets) when whitespace and an
# uppercase letter, digit, Han character or opening quote follow; newlines always end one.
# Chinese full stops (。！？) end a sentence wherever they stand: Chinese puts no space after them.
_SENTENCE_END = re.compile(
    r"[.!?…]+[\"'»”’)\]*]*(?=\s+[\"'«“„(\[*]*[A-ZА-ЯЁ0-9\u4e00-\u9fff])"
    r"|[。！？]+[”’」』）)]*"
)
# Tokens before a period that do not end a sentence ("St. Petersburg", "Prof. Ivanov").
_ABBREVIATIONS = frozenset(
    {
        "st",
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "no",
        "vs",
        "etc",
        "e.g",
        "i.e",
        "jr",
        "sr",
        "inc",
        "ltd",
        "co",
        "corp",
        "dept",
        "univ",
        "approx",
        "ca",
        "cf",
        "fig",
        "vol",
        "p",
        "pp",
        # Russian: "т. е.", "г." (year: "в 2016 г. Политех..." goes on), "им." (named after),
        # titles and units that are always followed by more of the same sentence.
        "т",
        "г",
        "гг",
        "им",
        "т.е",
        "т.к",
        "т.д",
        "т.п",
        "и.о",
        "проф",
        "акад",
        "доц",
        "зав",
        "ул",
        "пр",
        "просп",
        "д",
        "см",
        "стр",
        "рис",
        "млн",
        "млрд",
        "тыс",
        "руб",
        "англ",
        "кит",
    }
)


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _is_abbreviation(text: str, dot: int) -> bool:
    word_start = dot
    while word_start > 0 and not text[word_start - 1].isspace():
        word_start -= 1
    word = text[word_start:dot].lstrip("(«“„\"'").lower()
    # A lone capital letter before a period is an initial ("V. Putin").
    return word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Sentences of ``text[start:end]`` as stripped, non-empty, ordered character ranges."""
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    for line in re.finditer(r"[^\n]+", text[start:end]):
        line_start, line_end = start + line.start(), start + line.end()
        cursor = line_start
        for match in _SENTENCE_END.finditer(text, line_start, line_end):
            if text[match.start()] == "." and _is_abbreviation(text, match.start()):
                continue
            spans.append((cursor, match.end()))
            cursor = match.end()
        spans.append((cursor, line_end))
    stripped = (_strip(text, a, b) for a, b in spans)
    return [(a, b) for a, b in stripped if a < b]
