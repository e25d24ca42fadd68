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


def _matches(text: str) -> list[tuple[int, int, dt.date]]:
    """Every date written in ``text``, with where it starts and ends, in reading order."""
    found: list[tuple[int, int, dt.date]] = []
    for match in _DAY_MONTH_YEAR.finditer(text):
        day, word, year = match.groups()
        date = _make(int(year), month_number(word), int(day))
        if date is not None:
            found.append((match.start(), match.end(), date))
    for match in _MONTH_DAY_YEAR.finditer(text):
        word, day, year = match.groups()
        date = _make(int(year), month_number(word), int(day))
        if date is not None:
            found.append((match.start(), match.end(), date))
    for match in _YEAR_FIRST.finditer(text):
        year, _, month, day = match.groups()
        date = _make(int(year), int(month), int(day))
        if date is not None:
            found.append((match.start(), match.end(), date))
    for match in _DAY_FIRST.finditer(text):
        day, month, year = match.groups()
        date = _make(int(year), int(month), int(day))
        if date is not None:
            found.append((match.start(), match.end(), date))
    return sorted(found, key=lambda item: (item[0], -item[1]))


def find_dates(text: str) -> list[tuple[int, int, dt.date]]:
    """Every calendar date written in ``text`` as ``(start, end, date)``, in reading order."""
    return _matches(text)


def _candidates(text: str) -> list[tuple[int, dt.date]]:
    """Every date written in ``text``, with where it starts."""
    return [(start, date) for start, _, date in _matches(text)]


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


# --- date lines -----------------------------------------------------------------------------
# News sites print the publication date on one short line under the heading, often with other
# short items: "1 June 2023 · International activities · 542" (date, category, view count),
# "Posted on June 1, 2023 by Jane Doe", "Опубликовано: 17.07.2025 в 10:30". A line is read as
# a date line only when every item on it is short and the date item carries nothing but a
# publication label, a weekday, a time or an author: a sentence that mentions a date is not one.

# Items of a line: "·", "•", "|", a spaced dash or slash, or a wide gap between inline elements.
_ITEM_SEPARATORS = re.compile(r"\s*[·•|¦▪]\s*|\s+[—–-]\s+|\s+/\s+|\s{3,}|\t")
# Labels that name the publication (compared whole, lower case, after the weekday is dropped).
_PUBLISHED_LABELS = frozenset(
    {
        "published", "published on", "first published", "first published on", "posted", "posted on",
        "date", "date published", "publication date", "date of publication", "release date", "on",
        "опубликовано", "опубликована", "опубликован", "дата публикации", "дата", "размещено",
        "дата размещения", "добавлено", "новость от", "от",
    }
)  # fmt: skip
# A change, not a publication: "last updated", "modified", "обновлено", "изменено", "ред.".
_UPDATE_WORDS = re.compile(r"updat|modif|revis|edited|обновл|измен|редакт|ред\.", re.IGNORECASE)
_WEEKDAYS = re.compile(
    r"\b(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?\b\.?|"
    r"\b(?:понедельник|вторник|среда|четверг|пятница|суббота|воскресенье|пн|вт|ср|чт|пт|сб|вс)\b\.?",
    re.IGNORECASE,
)
# A time after (or before) the date: "10:30", "at 10:30 am", "в 10:30 МСК", "T10:30:00+03:00".
_TIME = re.compile(
    r"^[,\s]*(?:at|в|-)?\s*T?\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?"
    r"(?:\s*[ap]\.?m\.?)?(?:\s*(?:msk|мск|utc|gmt|z))?(?:\s*[+-]\d{1,2}(?::?\d{2})?)?(?!\w)",
    re.IGNORECASE,
)
_AUTHOR = re.compile(r"^[,\s]*(?:by|автор(?:ом)?:?)\s+[^.!?\d]{1,40}$", re.IGNORECASE)
# A label that names who published before the date: Drupal's "Submitted by admin on",
# "Опубликовано admin", "Posted by Jane Doe on".
_LABEL_WITH_AUTHOR = re.compile(
    r"^(?:submitted|posted|published|опубликовано|опубликовал[аи]?|добавлено)"
    r"(?: by| пользователем| автором)? [^\d]{1,30}?(?: on| в)?$"
)
# A parenthesised change beside the date: "17:45 17.07.2025 (обновлено: 18:20 17.07.2025)".
_CHANGE_ASIDE = re.compile(r"\([^()]*\)")
_SENTENCE_END = re.compile(r"[.!?]$")
_MAX_LINE = 140
_MAX_ITEM_CHARS = 40
_MAX_ITEM_WORDS = 6


def _short_item(item: str) -> bool:
    """A category, a view count, an author, "5 min read": not a sentence."""
    words = item.split()
    return len(item) <= _MAX_ITEM_CHARS and len(words) <= _MAX_ITEM_WORDS and not _SENTENCE_END.search(item)


def _prefix_label(prefix: str) -> str | None:
    """The publication label before the date ("" for none, beside a weekday or a time); ``None``
    when something else stands there ("Deadline:", "The office opened on")."""
    text = _TIME.sub("", prefix.strip())
    text = _WEEKDAYS.sub("", text)
    text = re.sub(r"[\s:,\-–—]+", " ", text).strip().lower()
    return text if text == "" or text in _PUBLISHED_LABELS or _LABEL_WITH_AUTHOR.match(text) else None


def _date_item_rest(rest: str) -> bool:
    """After the date: nothing, a time, an author, or short items written without separators."""
    text = _TIME.sub("", rest)
    text = text.strip()
    if not text or _AUTHOR.match(text):
        return True
    # "1 June 2023 International activities 542": the site's category and view count with
    # only spaces between. A sentence goes on in lower case ("1 June 2023 the delegation ..."),
    # and a related-news entry ("3 June 2024 Students win the hackathon") ends in no count.
    if not _short_item(text) or not (text[0].isupper() or text[0].isdigit()):
        return False
    return text[-1].isdigit() or len(text.split()) <= 2


def line_date(text: str, *, labelled: bool = False) -> dt.date | None:
    """The publication date a short date line states, or ``None`` when the line is not one.

    Items labelled as a change ("Updated: ...") are passed over; any other dated item must be
    the date alone or behind a publication label, and every undated item must be short. With
    ``labelled`` the label is required ("Дата публикации: 2020.10.05"): where a page's text
    ends, a bare date is as likely a related-news entry as the article's own.
    """
    line = " ".join(text.split()) if "\t" not in text else text.strip()
    if not line or len(line) > _MAX_LINE:
        return None
    line = _CHANGE_ASIDE.sub(lambda match: " " if _UPDATE_WORDS.search(match.group()) else match.group(), line)
    found: dt.date | None = None
    for raw_item in _ITEM_SEPARATORS.split(line):
        item = raw_item.strip()
        if not item:
            continue
        matches = _matches(item)
        if not matches:
            if not _short_item(item):
                return None
            continue
        if _UPDATE_WORDS.search(item):
            continue
        start, end, date = matches[0]
        label = _prefix_label(item[:start])
        if label is None or not _date_item_rest(item[end:]) or (labelled and not label):
            return None
        if found is None:
            found = date
    return found
