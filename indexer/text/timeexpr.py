"""Reading time in a query, English and Russian: when the news was published, or that the newest is wanted.

``read_time(text, today)`` is a pure function. It finds years, months, seasons, day dates,
ranges ("between 2020 and 2022", "с 2020 по 2022 год"), relative expressions ("last year",
"this spring", "в прошлом году", "за последние 3 месяца") and the wish for the newest news
("latest", "most recent", "последние", "недавно"), and decides what each time expression is:

- a **publication time** ("news of 2020", "at the 2019 graduation", "в прошлом году", "between
  2020 and 2022"): the window becomes a date filter;
- **unsure** (a bare year, a year inside a name such as "ATURC-2022", a day date): the window
  only ranks articles nearer to it higher;
- the **topic** ("founded in 1899", "since 2001", "the 2030 strategy", a future year, an event
  said to have happened then: "signed in 2023"): nothing is read, the words stay keywords.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

from indexer.models import TimeReading
from indexer.text.dates import find_dates, month_number

Kind = Literal["filter", "closeness", "topic"]


@dataclass(frozen=True, slots=True)
class _Found:
    start: int
    end: int
    date_from: dt.date
    date_to: dt.date
    kind: Kind


_YEAR = r"(1[89]\d\d|20\d\d)"
# A year standing alone: not inside a longer number, and not glued to a name by a hyphen
# ("ATURC-2022", "Priority-2030"), which is read apart as a name.
_BARE_YEAR = re.compile(rf"(?<![\w\-–]){_YEAR}(?![\w\-–])")
_NAMED_YEAR = re.compile(rf"(?<=\w[\-–]){_YEAR}(?!\w)|(?<![\w])({_YEAR[1:-1]})(?=[\-–][^\W\d])")
_YEAR_WORD = r"(?:\s*(?:г\.|гг\.|годами|годах|годов|годы|года|году|год|г)(?!\w))?"
# "and"/"и" join a range only after "between"/"между": "2024 and 2025" alone names two years.
_RANGE = re.compile(
    rf"(?:(?:between|между)\s+{_YEAR}{_YEAR_WORD}\s*(?:and|и)"
    rf"|(?:from|с|со|в)?\s*{_YEAR}{_YEAR_WORD}\s*(?:to|till|until|through|-|–|—|по|до))\s*{_YEAR}{_YEAR_WORD}"
)

# Russian months in the prepositional case ("в июне"), which dates.py does not need.
_RU_PREPOSITIONAL = {
    "январе": 1, "феврале": 2, "марте": 3, "апреле": 4, "мае": 5, "июне": 6,
    "июле": 7, "августе": 8, "сентябре": 9, "октябре": 10, "ноябре": 11, "декабре": 12,
}  # fmt: skip
_MONTH_YEAR = re.compile(rf"(?<!\w)([^\W\d_]+)\.?,?\s+(?:of\s+)?{_YEAR}{_YEAR_WORD}(?!\d)")

# Seasons: first month and length in months; winter starts in December of the year before.
_SEASONS = {
    "spring": 3, "summer": 6, "autumn": 9, "fall": 9, "winter": 12,
    "весной": 3, "весна": 3, "весны": 3, "весну": 3, "летом": 6, "лето": 6, "лета": 6,
    "осенью": 9, "осень": 9, "осени": 9, "зимой": 12, "зима": 12, "зимы": 12, "зиму": 12,
}  # fmt: skip
_SEASON_WORD = "|".join(sorted(_SEASONS, key=len, reverse=True))
_SEASON_YEAR = re.compile(rf"(?<!\w)(?:in\s+(?:the\s+)?)?({_SEASON_WORD})\s+(?:of\s+)?{_YEAR}{_YEAR_WORD}(?!\d)")
_SEASON_RELATIVE = re.compile(
    rf"(?<!\w)(this|last|past|previous|эт(?:ой|им|ой|у)|прошл(?:ой|ым|ую|ого)|минувш(?:ей|им|ую))\s+({_SEASON_WORD})(?!\w)"
)

_UNITS = {
    "day": "day", "days": "day", "дня": "day", "дней": "day", "день": "day",
    "week": "week", "weeks": "week", "неделю": "week", "недели": "week", "недель": "week", "неделя": "week",
    "month": "month", "months": "month", "месяц": "month", "месяца": "month", "месяцев": "month",
    "year": "year", "years": "year", "год": "year", "года": "year", "лет": "year",
}  # fmt: skip
_UNIT_WORD = "|".join(sorted(_UNITS, key=len, reverse=True))
_LAST_N = re.compile(
    rf"(?<!\w)(?:(?:in|over|during)\s+the\s+)?(?:last|past|(?:за\s+)?последн(?:ие|ий|юю|их))\s+(\d+\s+)?({_UNIT_WORD})(?!\w)"
)
_AGO = re.compile(rf"(?<!\w)(\d+|a|one|two|three)\s+({_UNIT_WORD})\s+(?:ago|назад)(?!\w)")
_WORD_NUMBERS = {"a": 1, "one": 1, "two": 2, "three": 3}
# Calendar units relative to today: (words, unit, offset).
_RELATIVE_UNITS: tuple[tuple[str, str, int], ...] = (
    (r"last year|previous year|в прошлом году|прошлого года|за прошлый год|прошлый год|в минувшем году", "year", -1),
    (r"this year|current year|в этом году|этого года|в текущем году|этот год|за этот год|текущего года", "year", 0),
    (r"year before last|позапрошл\w+ год\w*", "year", -2),
    (r"last month|previous month|в прошлом месяце|прошлого месяца", "month", -1),
    (r"this month|в этом месяце|этого месяца", "month", 0),
    (r"last week|previous week|на прошлой неделе|прошлой недели", "week", -1),
    (r"this week|на этой неделе|этой недели", "week", 0),
    (r"yesterday|вчера", "day", -1),
    (r"today|сегодня", "day", 0),
)
_RELATIVE = [(re.compile(rf"(?<!\w)(?:{words})(?!\w)"), unit, offset) for words, unit, offset in _RELATIVE_UNITS]

# The wish for the newest news. "last" alone is not one ("last year" is a window), nor is
# "последние" before a span of time ("за последние 3 месяца").
_RECENCY = re.compile(
    r"(?<!\w)(?:latest|newest|most recent|recent news|recently|lately|fresh news|"
    r"последн(?:ие|яя|ий|его|их|юю)(?!\s+(?:\d|год|лет|месяц|недел|дн|раз))|"
    r"свеж(?:ие|ая|ий|их)|новейш\w*|самы[ейх] нов\w*|недавн\w*|в последнее время)(?!\w)"
)

# Words that say the time is when something was published.
_PUBLICATION = re.compile(
    r"(?<!\w)(?:news|published|posted|wrote|written|reported|report|articles?|announced|press release|"
    r"новост\w*|писали|написал\w*|сообщ\w*|опубликова\w*|публикац\w*|стать\w*|объявил\w*)(?!\w)"
)
# Words before a year that make the year the topic: a founding, a start, a deadline. A plan
# named by a year ("Strategy 2030") is a future year, or a past edition ("programme 2024")
# the year only hints at.
_TOPIC_BEFORE = re.compile(
    r"(?<!\w)(?:since|founded|established|born|built|until|till|by|before|anniversary|centenary|"
    r"horizon|declared|proclaimed|target|"
    r"с|со|до|к|основан\w*|создан\w*|родил\w*|построен\w*|юбиле\w*|"
    r"объявлен\w*|горизонт\w*)\s+(?:the\s+|of\s+|in\s+|в\s+)?$"
)
_TOPIC_AFTER = re.compile(
    r"^\s*(?:strategy|programme|program|plan|agenda|vision|goals?|targets?|years? of|and \d{4} the|"
    r"стратеги\w*|программ\w*|план\w*|целей|цели)(?!\w)"
)
# An event said to have happened at that time, or a future one: the article telling of it may
# be from any later (or earlier) date, so the time is part of what is asked, not a filter.
_TOPIC_VERBS = re.compile(
    r"(?<!\w)(?:signed|sign|met|meet|first|founded|open|opened|began|begun|started|launched|established|"
    r"when|what year|which year|когда|в каком году|"
    r"will|plans?|planned|scheduled|upcoming|next|"
    r"подписал\w*|познаком\w*|основа\w*|открыт\w*|открыл\w*|начат\w*|началось|начал\w*|запущ\w*|"
    r"пройд[её]т|будет|будут|состоится|стартуют|начнутся|поедут|планиру\w*|следующ\w*|впервые)(?!\w)"
)


def _month_span(year: int, month: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


def _season_span(year: int, first: int) -> tuple[dt.date, dt.date]:
    if first == 12:  # winter 2025: December 2024 to February 2025
        return dt.date(year - 1, 12, 1), dt.date(year, 2, calendar.monthrange(year, 2)[1])
    return dt.date(year, first, 1), _month_span(year, first + 2)[1]


def _shift_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _unit_span(today: dt.date, unit: str, offset: int) -> tuple[dt.date, dt.date]:
    if unit == "year":
        return dt.date(today.year + offset, 1, 1), dt.date(today.year + offset, 12, 31)
    if unit == "month":
        first = _shift_months(today.replace(day=1), offset)
        return _month_span(first.year, first.month)
    if unit == "week":
        monday = today - dt.timedelta(days=today.weekday()) + dt.timedelta(weeks=offset)
        return monday, monday + dt.timedelta(days=6)
    day = today + dt.timedelta(days=offset)
    return day, day


def _back(today: dt.date, unit: str, count: int) -> dt.date:
    if unit == "year":
        return _shift_months(today, -12 * count)
    if unit == "month":
        return _shift_months(today, -count)
    return today - dt.timedelta(days=count * (7 if unit == "week" else 1))


def _classify(text: str, start: int, end: int, date_from: dt.date, today: dt.date, *, sure: bool) -> Kind:
    """What the time at ``text[start:end]`` is: a publication time, a hint, or the topic.

    ``sure``: the expression itself names a window to search in (a preposition, a month, a
    season), so it filters unless the context makes it the topic; a bare year only hints.
    """
    if date_from > today:
        return "topic"  # nothing is published in the future: a plan, a deadline, a next event
    before, after = text[max(0, start - 30) : start], text[end : end + 30]
    if _TOPIC_BEFORE.search(before) or _TOPIC_AFTER.match(after):
        return "topic"
    if _PUBLICATION.search(text):
        return "filter"
    if _TOPIC_VERBS.search(text):
        return "topic"
    return "filter" if sure else "closeness"


# A year read as the time of an event the question is about: "in 2024", "в 2024 году",
# "the 2019 graduation", "новости 2024 года", "of 2023".
_YEAR_SURE_BEFORE = re.compile(r"(?:\b(?:in|during|of|from|at the|the|for)|(?<!\w)(?:в|во|за|на|от))\s+$")
_YEAR_SURE_AFTER = re.compile(r"^\s*(?:года|году|год|г\.)(?!\w)")


def _ranges(text: str, today: dt.date) -> list[_Found]:
    found = []
    for match in _RANGE.finditer(text):
        years = [int(group) for group in match.groups() if group is not None]
        first, last = min(years), max(years)
        date_from, date_to = dt.date(first, 1, 1), dt.date(last, 12, 31)
        kind = _classify(text, match.start(), match.end(), date_from, today, sure=True)
        found.append(_Found(match.start(), match.end(), date_from, date_to, kind))
    return found


def _relative(text: str, today: dt.date) -> list[_Found]:
    found = []
    for pattern, unit, offset in _RELATIVE:
        for match in pattern.finditer(text):
            date_from, date_to = _unit_span(today, unit, offset)
            found.append(_Found(match.start(), match.end(), date_from, date_to, "filter"))
    for match in _LAST_N.finditer(text):
        unit = _UNITS[match.group(2)]
        count = int(match.group(1)) if match.group(1) else 1
        found.append(_Found(match.start(), match.end(), _back(today, unit, count), today, "filter"))
    for match in _AGO.finditer(text):
        unit = _UNITS[match.group(2)]
        raw = match.group(1)
        count = int(raw) if raw.isdigit() else _WORD_NUMBERS[raw]
        if unit == "year":
            date_from, date_to = _unit_span(today, "year", -count)
        else:
            day = _back(today, unit, count)
            date_from, date_to = day - dt.timedelta(days=3), day + dt.timedelta(days=3)
        found.append(_Found(match.start(), match.end(), date_from, date_to, "filter"))
    for match in _SEASON_RELATIVE.finditer(text):
        which, season = match.group(1), _SEASONS[match.group(2)]
        year = today.year
        date_from, date_to = _season_span(year, season)
        if which.startswith(("this", "эт")):
            if season == 12 and today.month == 12:
                date_from, date_to = _season_span(year + 1, season)
        elif date_to >= today:
            # "last summer" in July is the summer of the year before; in September, this year's.
            date_from, date_to = _season_span(year - 1, season)
        found.append(_Found(match.start(), match.end(), date_from, date_to, "filter"))
    return found


def _days(text: str, today: dt.date) -> list[_Found]:
    found = []
    for start, end, day in find_dates(text):
        if day > today:
            kind: Kind = "topic"
        elif _PUBLICATION.search(text):
            kind = "filter"
        else:
            kind = "closeness"  # the news of an event on a day may come out days before or after
        found.append(_Found(start, end, day, day, kind))
    return found


def _months_and_seasons(text: str, today: dt.date) -> list[_Found]:
    found = []
    for match in _MONTH_YEAR.finditer(text):
        word = match.group(1)
        month = _RU_PREPOSITIONAL.get(word) or month_number(word)
        if month is None:
            continue
        date_from, date_to = _month_span(int(match.group(2)), month)
        kind = _classify(text, match.start(), match.end(), date_from, today, sure=True)
        found.append(_Found(match.start(), match.end(), date_from, date_to, kind))
    for match in _SEASON_YEAR.finditer(text):
        date_from, date_to = _season_span(int(match.group(2)), _SEASONS[match.group(1)])
        kind = _classify(text, match.start(), match.end(), date_from, today, sure=True)
        found.append(_Found(match.start(), match.end(), date_from, date_to, kind))
    return found


def _years(text: str, today: dt.date) -> list[_Found]:
    found = []
    for match in _BARE_YEAR.finditer(text):
        year = int(match.group(1))
        sure = bool(_YEAR_SURE_BEFORE.search(text[: match.start()]) or _YEAR_SURE_AFTER.match(text[match.end() :]))
        end = match.end()
        after = _YEAR_SURE_AFTER.match(text[end:])
        if after:
            end += after.end()
        date_from = dt.date(year, 1, 1)
        kind = _classify(text, match.start(), end, date_from, today, sure=sure)
        found.append(_Found(match.start(), end, date_from, dt.date(year, 12, 31), kind))
    for match in _NAMED_YEAR.finditer(text):
        year = int(match.group(1) or match.group(2))
        kind = "topic" if year > today.year else "closeness"
        found.append(_Found(match.start(), match.end(), dt.date(year, 1, 1), dt.date(year, 12, 31), kind))
    return found


def _outside(item: _Found, taken: list[_Found]) -> bool:
    return all(item.end <= other.start or item.start >= other.end for other in taken)


def read_time(text: str, today: dt.date) -> TimeReading:
    """What ``text`` says about when its news was published, read against ``today``.

    Longer, more specific expressions are read first (a range before its years, a month
    before its year); among what remains, the first publication time wins, else the first hint.
    """
    # ё and е are one letter to a reader; lower case keeps every offset (one char for one char).
    low = text.lower().replace("ё", "е")
    if len(low) != len(text):  # a letter whose lower case is longer ("İ"): quote the lowered text
        text = low
    taken: list[_Found] = []
    for reader in (_ranges, _relative, _days, _months_and_seasons, _years):
        for item in sorted(reader(low, today), key=lambda f: (f.start, -f.end)):
            if _outside(item, taken):
                taken.append(item)
    recency_match = _RECENCY.search(low)
    chosen = next((f for f in sorted(taken, key=lambda f: f.start) if f.kind == "filter"), None)
    chosen = chosen or next((f for f in sorted(taken, key=lambda f: f.start) if f.kind == "closeness"), None)
    words = [text[f.start : f.end].strip() for f in (chosen,) if f is not None]
    if recency_match is not None:
        words.append(text[recency_match.start() : recency_match.end()])
    if chosen is None and recency_match is None:
        return TimeReading()
    # The words a filter or "latest" used up; a hint's words stay, as they may be part of a name.
    spans = [(chosen.start, chosen.end)] if chosen is not None and chosen.kind == "filter" else []
    if recency_match is not None:
        spans.append((recency_match.start(), recency_match.end()))
    return TimeReading(
        date_from=chosen.date_from if chosen else None,
        date_to=chosen.date_to if chosen else None,
        filter=chosen is not None and chosen.kind == "filter",
        recency=recency_match is not None,
        text=" ".join(words),
        spans=tuple(sorted(spans)),
    )
