"""How strongly a sentence holds the kind of answer asked for: one scoring rule, a rule set per language."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

_DIGIT = re.compile(r"\d")


@dataclass(frozen=True, slots=True)
class KindRules:
    """The patterns one language writes its dates, numbers, people and places with."""

    year: re.Pattern[str]
    month_or_season: re.Pattern[str]
    number_word: re.Pattern[str]
    person_title: re.Pattern[str]
    place_phrase: re.Pattern[str]
    has_new_person_name: Callable[[str, str], bool]
    asked_acronym: Callable[[str], str | None]


def kind_score(kind: str, question: str, text: str, rules: KindRules) -> float:
    """0 when ``text`` holds no answer of ``kind``, 0.5 a weak one, 1 a strong one."""
    if kind == "time":
        month = rules.month_or_season.search(text)
        if rules.year.search(text) or (month and _DIGIT.search(text)):
            return 1.0
        return 0.5 if _DIGIT.search(text) or month else 0.0
    if kind == "number":
        # A year is a date, not the amount a "how many" question asks for.
        without_years = rules.year.sub("", text)
        return 1.0 if _DIGIT.search(without_years) or rules.number_word.search(without_years) else 0.0
    if kind == "person":
        if not rules.has_new_person_name(text, question):
            return 0.0
        return 1.0 if rules.person_title.search(text) else 0.5
    if kind == "acronym":
        acronym = rules.asked_acronym(question)
        return 1.0 if acronym and re.search(rf"\(\s*{re.escape(acronym)}\s*\)", text) else 0.0
    return 1.0 if rules.place_phrase.search(text) else 0.0
