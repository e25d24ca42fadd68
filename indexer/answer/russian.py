"""Russian question words and the facts that answer them, for the answerer's answer kinds.

"Когда ...?" wants a date, "Сколько ...?" a number, "Кто ...?" a person, "Где ...?" a place,
"Что такое JITRI?" the expansion of an acronym. Russian inflects, so the checks match word
stems ("двадцат" finds "двадцать" and "двадцати").
"""

from __future__ import annotations

import re
from itertools import pairwise
from typing import Literal

from indexer.answer.kinds import KindRules, kind_score
from indexer.text.dates import MONTHS

RussianKind = Literal["acronym", "number", "time", "person", "place"]

_CYRILLIC = re.compile(r"[а-яё]", re.I)
_ACRONYM_QUESTION = re.compile(
    r"^\s*(?:что\s+(?:такое|означает|значит)|как\s+расшифровывается)\s+([A-ZА-ЯЁ][A-ZА-ЯЁ0-9]{1,9})\s*\??\s*$",
    re.I,
)
_NUMBER_QUESTION = re.compile(
    r"^\s*(сколько|как\s+много|какое\s+количество|какова\s+(сумма|доля|численность)|какой\s+(процент|объ[её]м))\b",
    re.I,
)
_TIME_QUESTION = re.compile(
    r"^\s*(когда|с\s+каких\s+пор|до\s+каких\s+пор)\b|\b(в|с|до|к)\s+как(ом|ого|ому)\s+(году|года|месяце|месяца|числа)\b|"
    r"\bкакого\s+числа\b|\bв\s+какой\s+день\b",
    re.I,
)
_PERSON_QUESTION = re.compile(r"^\s*(кто|кого|кому|кем|чей|чья|чь[её])\b", re.I)
_PLACE_QUESTION = re.compile(r"^\s*(где|куда|откуда)\b|\bв\s+каком\s+(городе|месте|стране|здании)\b", re.I)

_YEAR = re.compile(r"(?<!\d)(1[89]|20)\d\d(?!\d)")
_DIGIT = re.compile(r"\d")
_RU_MONTH = re.compile(
    r"\b(" + "|".join(sorted((m for m in MONTHS if _CYRILLIC.search(m)), key=len, reverse=True)) + r")\b", re.I
)
_SEASON = re.compile(r"\b(весн|лет[оа]м?|осен|зим)\w*", re.I)
_NUMBER_WORD = re.compile(
    r"\b(одн?[аоиу]?|дв[ае]|двое|тр[иое]|трое|четыр|пят|шест|сем|восем|девят|десят|одиннадцат|двенадцат|"
    r"двадцат|тридцат|сорок|пятьдесят|шестьдесят|семьдесят|восемьдесят|девяност|сто|сотн|двест|тысяч|миллион|"
    r"миллиард|несколько|десятк|сотен|полтор|половин|пар[аеуы])\w*\b",
    re.I,
)
_PERSON_TITLE = re.compile(
    r"\b(ректор|проректор|директор|руководител|глав[аеуы]|профессор|президент|министр|председател|заместител|"
    r"декан|академик|секретар|губернатор|посол|консул|куратор|возглав|заведующ|доцент|начальник)\w*",
    re.I,
)
_CAPITALISED = r"[А-ЯЁA-Z][\wё'’-]*"
_CAPITALISED_RUN = re.compile(rf"(?<!\w){_CAPITALISED}(?:\s+{_CAPITALISED})+")
_INITIALS_NAME = re.compile(r"(?<!\w)[А-ЯЁ]\.\s*(?:[А-ЯЁ]\.\s*)?[А-ЯЁ][а-яё]+")
# Stems of capitalised words that make a run an organisation, place or event, not a person.
_NOT_NAME_STEMS = (
    "университет",
    "институт",
    "политех",
    "академи",
    "центр",
    "высш",
    "школ",
    "форум",
    "конференц",
    "министерств",
    "правительств",
    "город",
    "провинц",
    "санкт",
    "петербург",
    "петра",
    "велик",
    "росси",
    "китай",
    "китая",
    "российск",
    "китайск",
    "государствен",
    "национальн",
    "генеральн",
    "консульств",
    "научн",
    "инженери",
    "будущ",
    "интеллектуальн",
    "международн",
    "студенческ",
    "делегац",
    "лаборатори",
    "парк",
    "компани",
    "корпорац",
    "двадцат",
    "главн",
    "лучш",
    "втор",
    "трет",
    "перв",
)
_PLACE_PHRASE = re.compile(rf"(?<!\w)(в|во|на|из|под|около|возле)\s+{_CAPITALISED}")


def russian_kind(question: str) -> RussianKind | None:
    """The kind of answer a Russian question asks for, when its wording says; ``None`` otherwise."""
    if not _CYRILLIC.search(question):
        return None
    if asked_acronym(question):
        return "acronym"
    for kind, pattern in (
        ("number", _NUMBER_QUESTION),
        ("time", _TIME_QUESTION),
        ("person", _PERSON_QUESTION),
        ("place", _PLACE_QUESTION),
    ):
        if pattern.search(question):
            return kind  # type: ignore[return-value]
    return None


def asked_acronym(question: str) -> str | None:
    match = _ACRONYM_QUESTION.search(question)
    return match.group(1) if match and match.group(1).isupper() else None


# Capitalised only because they start a sentence; whole words, not stems.
_NOT_NAME_WORDS = frozenset({"сегодня", "по", "за", "во", "на", "в", "с", "и", "как", "это", "его", "её", "их"})


def _not_name(word: str) -> bool:
    lower = word.lower().rstrip(".,»")
    return lower in _NOT_NAME_WORDS or any(lower.startswith(stem) for stem in _NOT_NAME_STEMS)


def _has_new_person_name(text: str, question: str) -> bool:
    if _INITIALS_NAME.search(text):
        return True
    asked = {word.lower() for word in re.findall(r"[\wё'’-]+", question)}
    for run in _CAPITALISED_RUN.finditer(text):
        words = [word.rstrip(".,") for word in run.group().split()]
        for first, second in pairwise(words):
            if not (_not_name(first) or _not_name(second)) and not {first.lower(), second.lower()} <= asked:
                return True
    return False


def russian_evidence(kind: str | None, question: str, text: str) -> float | None:
    """How strongly Russian ``text`` holds an answer of ``kind`` (0, 0.5, 1); ``None`` for non-Russian text."""
    if kind is None or not _CYRILLIC.search(text):
        return None
    return kind_score(kind, question, text, RUSSIAN)


RUSSIAN = KindRules(
    year=_YEAR,
    month_or_season=re.compile(f"(?:{_RU_MONTH.pattern})|(?:{_SEASON.pattern})", re.I),
    number_word=_NUMBER_WORD,
    person_title=_PERSON_TITLE,
    place_phrase=_PLACE_PHRASE,
    has_new_person_name=_has_new_person_name,
    asked_acronym=asked_acronym,
)
