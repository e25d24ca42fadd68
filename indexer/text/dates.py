"""Reading calendar dates written the ways the university's pages write them, English and Russian.

"17 июля 2025", "17 июля 2025 г.", "1 June 2023", "June 1, 2023", "2020.10.05", "2020-10-05" and
"05.10.2020" (Russian day-first order) all read as the same kind of ``datetime.date``.
"""

from __future__ import annotations

import datetime as dt
import re

_EN_MONTHS = "january february march april may june july august september october november december".split()
# Russian month names in the genitive ("17 июля") as dates are written, plus the nominative
# ("июль 2025") and common abbreviations ("17 сент. 2025"); ё is read as е throughout.
_RU_MONTHS = (
    ("января", "январь", "янв"),
    ("февраля", "февраль", "фев", "февр"),
    ("марта", "март", "мар"),
    ("апреля", "апрель", "апр"),
    ("мая", "май"),
    ("июня", "июнь", "июн"),
    ("июля", "июль", "июл"),
    ("августа", "август", "авг"),
    ("сентября", "сентябрь", "сен", "сент"),
    ("октября", "октябрь", "окт"),
    ("ноября", "ноябрь", "ноя", "нояб"),
    ("декабря", "декабрь", "дек"),
)
MONTHS: dict[str, int] = {name: number for number, name in enumerate(_EN_MONTHS, start=1)}
MONTHS.update({name[:3]: number for number, name in enumerate(_EN_MONTHS, start=1)})
MONTHS["sept"] = 9
MONTHS.update({form: number for number, forms in enumerate(_RU_MONTHS, start=1) for form in forms})

_MONTH_WORD = r"([^\W\d_]+)\.?"
_YEAR_SUFFIX = r"(?:\s*(?:г\.|года|год|г)(?!\w))?"
_DAY_MONTH_YEAR = re.compile(rf"(?<!\d)(\d{{1,2}})\s+{_MONTH_WORD}\s+(\d{{4}}){_YEAR_SUFFIX}(?!\d)")
_MONTH_DAY_YEAR = re.compile(rf"(?<!\w){_MONTH_WORD}\s+(\d{{1,2}}),?\s+(\d{{4}})(?!\d)")
_YEAR_FIRST = re.compile(r"(?<!\d)(\d{4})([.\-/])(\d{1,2})\2(\d{1,2})(?!\d)")
_DAY_FIRST = re.compile(r"(?<!\d)(\d{1,2})\.(\d{1,2})\.(\d{4})(?!\d)")


def month_number(word: str) -> int | None:
    """The month a word names, English or Russian, any case; ``None`` otherwise."""
    return MONTHS.get(word.lower().replace("ё", "е").rstrip("."))


def _make(year: int, month: int | None, day: int) -> dt.date | None:
    if month is None:
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _candidates(text: str) -> list[tuple[int, dt.date]]:
    """Every date written in ``text``, with where it starts."""
    found: list[tuple[int, dt.date]] = []
    for match in _DAY_MONTH_YEAR.finditer(text):
        day, word, year = match.groups()
        date = _make(int(year), month_number(word), int(day))
        if date is not None:
            found.append((match.start(), date))
    for match in _MONTH_DAY_YEAR.finditer(text):
        word, day, year = match.groups()
        date = _make(int(year), month_number(word), int(day))
        if date is not None:
            found.append((match.start(), date))
    for match in _YEAR_FIRST.finditer(text):
        year, _, month, day = match.groups()
        date = _make(int(year), int(month), int(day))
        if date is not None:
            found.append((match.start(), date))
    for match in _DAY_FIRST.finditer(text):
        day, month, year = match.groups()
        date = _make(int(year), int(month), int(day))
        if date is not None:
            found.append((match.start(), date))
    return sorted(found, key=lambda item: item[0])


def search_date(text: str) -> dt.date | None:
    """The first date written anywhere in ``text``."""
    found = _candidates(text)
    return found[0][1] if found else None


def parse_date(text: str) -> dt.date | None:
    """``text`` read as one date and nothing else (surrounding spaces and a final period allowed)."""
    stripped = text.strip().rstrip(".").strip()
    if not stripped:
        return None
    for start, date in _candidates(stripped):
        if start == 0 and _spans_whole(stripped, date):
            return date
    return None


def _spans_whole(text: str, date: dt.date) -> bool:
    for pattern in (_DAY_MONTH_YEAR, _MONTH_DAY_YEAR, _YEAR_FIRST, _DAY_FIRST):
        match = pattern.fullmatch(text)
        if match is not None and search_date(match.group(0)) == date:
            return True
    return False
