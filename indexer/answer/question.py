"""What kind of answer a question asks for, and how strongly a sentence holds one.

Staff ask "when", "how many", "who", "where" and "what does X stand for" questions. A sentence
that merely repeats the question's words is a poor answer when it lacks a date, a number, a
person or an expansion of the acronym; these cheap checks let the answerer prefer the sentence
that actually carries the kind of fact asked for.
"""

from __future__ import annotations

import re
from itertools import pairwise
from typing import Literal

from indexer.answer.kinds import KindRules, kind_score
from indexer.answer.russian import russian_evidence, russian_kind

AnswerKind = Literal["acronym", "number", "time", "person", "place", "organisation"]

_YEAR = re.compile(r"\b(1[89]|20)\d\d\b")
_MONTH_OR_SEASON = re.compile(
    r"\b(january|february|march|april|may|june|july|august|september|october|november|december|"
    r"spring|summer|autumn|fall|winter)\b",
    re.I,
)
_DIGIT = re.compile(r"\d")
_NUMBER_WORD = re.compile(
    r"\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|sixty|"
    r"seventy|eighty|ninety|hundred|thousand|million|dozen|half|several)\b",
    re.I,
)
_PERSON_TITLE = re.compile(
    r"\b(rector|vice-rector|director|head|professor|president|minister|chairman|chairwoman|deputy|dean|academician|"
    r"secretary|governor|mayor|ambassador|consul|mr|ms|mrs|dr)\b",
    re.I,
)
_CAPITALISED = r"[A-ZА-ЯЁ][\w'’-]*"
_CAPITALISED_RUN = re.compile(rf"\b{_CAPITALISED}(?:\s+{_CAPITALISED})+")
# Capitalised words that make a run an organisation, place or event rather than a person.
_NOT_NAME_WORDS = frozenset(
    """
    university universities institute polytechnic polytech technology technological science sciences scientific
    academy association center centre office summit forum conference committee ministry government province city
    district group company corporation program programme project research industrial automotive international
    russian chinese china russia federation republic people's state national innovation excellence technical
    engineering smart materials representative delegation exhibition joint school college laboratory lab park
    region council agreement cooperation st st. petersburg great peter branch department new year the of and
    """.split()
)
# "What is JITRI?", "What does ATURC stand for / mean?"
_ACRONYM_QUESTION = re.compile(
    r"^\s*what\s+(?:is|are)\s+(?:the\s+)?([A-Z][A-Z0-9]{1,9})\s*\??\s*$|"
    r"^\s*what\s+does\s+(?:the\s+)?([A-Z][A-Z0-9]{1,9})\s+(?:stand\s+for|mean)\b",
    re.I,
)
# Nouns whose value is an amount of money: "what salary does ...", "what is the tuition fee ..." want a number.
_AMOUNT_NOUNS = r"(?:salary|salaries|wage|wages|pay|fee|fees|price|prices|cost|costs|budget|rent|stipend|tuition)"
_NUMBER_QUESTION = re.compile(
    rf"^(how\s+(many|much|long|old|large|big)|what\s+(number|percentage|share|proportion|fraction)|what\s+{_AMOUNT_NOUNS})\b|"
    rf"^what\s+(?:is|are|was|were|will\s+be)\s+the\s+(?:[\w'’-]+\s+)?{_AMOUNT_NOUNS}\b",
    re.I,
)
# "What share of ...", "what percentage": a proportion answers best ("almost half", "40 %"); any other
# number (a count of students) is only weak evidence.
_SHARE_QUESTION = re.compile(r"^(?:what|which)\s+(?:share|percentage|proportion|fraction|part)\b", re.I)
_PROPORTION = re.compile(
    r"\d\s*%|\b(?:per\s*cent|percent|half|third|thirds|quarter|quarters|majority|minority|one\s+in\s+\w+)\b", re.I
)
_TIME_QUESTION = re.compile(
    r"^(when|since\s+when|until\s+when)\b|\b(what|which)\s+(years?|dates?|days?|months?)\b|\bsince\s+what\b", re.I
)
# "Which big Chinese companies ...", "which universities ...": named organisations of the asked sort.
_ORGANISATION_QUESTION = re.compile(
    r"^(?:which|what)\s+(?:[\w'’-]+\s+){0,2}?(?P<noun>compan(?:y|ies)|corporations?|firms?|enterprises?|"
    r"universit(?:y|ies)|institutes?|organi[sz]ations?)\b",
    re.I,
)
# The words an organisation of each sort is named with: "Haier Group", "Nanjing University of ...".
_ORGANISATION_SUFFIXES = {
    "compan": ("Group", "Company", "Corporation", "Corp", "Ltd", "Inc", "Holding", "Holdings"),
    "corpor": ("Group", "Company", "Corporation", "Corp", "Ltd", "Inc", "Holding", "Holdings"),
    "firm": ("Group", "Company", "Corporation", "Corp", "Ltd", "Inc", "Holding", "Holdings"),
    "enterp": ("Group", "Company", "Corporation", "Corp", "Ltd", "Inc", "Holding", "Holdings"),
    "univer": ("University", "Universities", "Institute", "Polytechnic"),
    "instit": ("Institute", "Academy", "University", "Center", "Centre"),
    "organi": ("Group", "Company", "Corporation", "Institute", "Association", "Ministry", "Agency", "Organization"),
}
_WORDS = re.compile(r"[\w'’-]+")
# Only a leading "who": "the students who go" is a relative clause, not a question about a person.
_PERSON_QUESTION = re.compile(r"^(who|whom|whose)\b", re.I)
_PLACE_QUESTION = re.compile(r"^where\b", re.I)
_PLACE_PHRASE = re.compile(rf"\b(in|at|to|near)\s+(the\s+)?{_CAPITALISED}")


def expected_kind(question: str) -> AnswerKind | None:
    """The kind of answer a question's wording asks for, when it says."""
    question = question.strip()
    russian = russian_kind(question)  # Russian question words: indexer/answer/russian.py
    if russian is not None:
        return russian
    if _asked_acronym(question):
        return "acronym"
    if _NUMBER_QUESTION.search(question):
        return "number"
    if _TIME_QUESTION.search(question):
        return "time"
    if _PERSON_QUESTION.search(question):
        return "person"
    if _ORGANISATION_QUESTION.search(question):
        return "organisation"
    if _PLACE_QUESTION.search(question):
        return "place"
    return None


def _asked_acronym(question: str) -> str | None:
    match = _ACRONYM_QUESTION.search(question)
    if match is None:
        return None
    acronym = match.group(1) or match.group(2)
    return acronym if acronym.isupper() else None


def _has_new_person_name(text: str, question: str) -> bool:
    """Two adjacent capitalised words, neither an organisation word, not both from the question."""
    asked = {word.lower() for word in re.findall(r"[\w'’-]+", question)}
    for run in _CAPITALISED_RUN.finditer(text):
        words = [word.rstrip(".,") for word in run.group().split()]
        for first, second in pairwise(words):
            pair = (first.lower(), second.lower())
            if not any(word in _NOT_NAME_WORDS for word in pair) and not all(word in asked for word in pair):
                return True
    return False


ENGLISH = KindRules(
    year=_YEAR,
    month_or_season=_MONTH_OR_SEASON,
    number_word=_NUMBER_WORD,
    person_title=_PERSON_TITLE,
    place_phrase=_PLACE_PHRASE,
    has_new_person_name=_has_new_person_name,
    asked_acronym=_asked_acronym,
)


def _names_organisation(text: str, question: str) -> bool:
    """Whether ``text`` names an organisation of the sort asked, other than one the question names."""
    match = _ORGANISATION_QUESTION.search(question)
    if match is None:
        return False
    suffixes = _ORGANISATION_SUFFIXES[match.group("noun").lower()[:6]]
    suffix = "|".join(suffixes)
    asked = {word.lower() for word in _WORDS.findall(question)} | {word.lower() for word in suffixes}
    names = re.finditer(
        rf"(?:{_CAPITALISED}\s+(?:of\s+|and\s+)?){{0,6}}(?:{suffix})\b(?:\s+of(?:\s+{_CAPITALISED})+)?", text
    )
    return any({word.lower() for word in _WORDS.findall(name.group())} - asked - {"of", "and"} for name in names)


def kind_evidence(kind: AnswerKind | None, question: str, text: str) -> float:
    """How strongly ``text`` holds an answer of ``kind``: 0 none, 0.5 weak, 1 strong."""
    if kind is None:
        return 0.0
    if kind == "organisation":
        # Neutral without one: sentences listing partners often name them only in the next sentence.
        return 1.0 if _names_organisation(text, question.strip()) else 0.5
    russian = russian_evidence(kind, question, text)
    if russian is not None:
        return russian
    score = kind_score(kind, question, text, ENGLISH)
    if kind == "number" and score > 0 and _SHARE_QUESTION.search(question.strip()):
        return 1.0 if _PROPORTION.search(text) else 0.5
    return score


_FOCUS_STOP = r"(?:of|for|at|in|on|to|from|with|about|called|per|by|between|after|before)"
# The thing a question asks the value of, read off its structure: "what is the <tuition fee> for ...",
# "how much does a <parking permit> cost", "when does the <spring semester> start", "how many <startups>".
_FOCUS_PATTERNS = (
    re.compile(
        rf"^(?:what|who)\s+(?:is|are|was|were|will\s+be)\s+(?:the|a|an)\s+(?P<focus>[\w'’ -]+?)"
        rf"(?:\s+{_FOCUS_STOP}\b|\s*\?|$)",
        re.I,
    ),
    re.compile(
        rf"^how\s+much\s+(?:is|are|was|were)\s+(?:the|a|an)\s+(?P<focus>[\w'’ -]+?)(?:\s+{_FOCUS_STOP}\b|\s*\?|$)",
        re.I,
    ),
    # "St." inside the thing ("a flight from St. Petersburg to Shanghai") must not end the match.
    re.compile(r"^(?:how\s+much|what)\s+(?:does|do|did|will)\s+(?:the|a|an)\s+(?P<focus>[\w'’ .-]+?)\s+cost\b", re.I),
    re.compile(
        r"^when\s+(?:is|does|do|will)\s+(?:the|a|an)\s+(?P<focus>[\w'’ -]+?)"
        r"(?:\s+(?:start|begin|open|close|end|leave|take\s+place)\b|\s*\?$)",
        re.I,
    ),
)
# "how many <large joint projects> are ...": only the counted noun (the first plural); adjectives are
# paraphrased too often ("large" projects are "major" ones) to be required.
_COUNT_PATTERN = re.compile(
    r"^how\s+(?:much|many)\s+(?!(?:is|are|was|were|do|does|did|will|can|has|have)\b)(?P<focus>[\w'’ -]+?)\s+"
    rf"(?:is|are|was|were|do|does|did|has|have|had|will|can|would|could|{_FOCUS_STOP})\b",
    re.I,
)


# "what salary does a young scientist get": the amount asked for is the noun itself.
_AMOUNT_PATTERN = re.compile(rf"^what\s+(?P<focus>{_AMOUNT_NOUNS})\s+(?:is|are|was|were|does|do|did|will|can)\b", re.I)
# "who won the <football tournament> this year": the contest won is what the answer must be about.
_WON_PATTERN = re.compile(
    rf"^who\s+(?:won|wins|will\s+win|has\s+won)\s+(?:the|a|an)\s+(?P<focus>[\w'’ -]+?)"
    rf"(?:\s+{_FOCUS_STOP}\b|\s+(?:this|last|next)\b|\s*\?|$)",
    re.I,
)
# Whose value is asked: "who is the rector <of Zhejiang University>", "how many students does <Zhejiang
# University> have". The rector of another university is no answer, even in an article naming Zhejiang.
_OWNER_PATTERNS = (
    re.compile(
        r"^(?:who|what)\s+(?:is|are|was|were)\s+the\s+[\w'’ -]+?\s+of\s+(?:the\s+)?(?P<owner>[\w'’ .-]+?)\s*\??$", re.I
    ),
    re.compile(
        r"^how\s+many\s+[\w'’ -]+?\s+(?:does|do|did)\s+(?:the\s+)?(?P<owner>[\w'’ .-]+?)\s+(?:have|has|host|employ)\b",
        re.I,
    ),
    # "which bus goes to <the main building>": where the asked-for thing goes or comes from is what the
    # evidence must be about; a bus in another story ("an attack on a bus") is not the one asked for.
    re.compile(
        r"^which\s+(?:[\w'’-]+\s+)?[\w'’-]+\s+[\w'’-]+s\s+(?:to|from|into|towards|near)\s+(?:the\s+)?"
        r"(?P<owner>[\w'’ .-]+?)\s*\??$",
        re.I,
    ),
)
# "how many <people> attended ...": the counted noun before a past-tense verb.
_COUNT_BEFORE_VERB = re.compile(r"^how\s+many\s+(?P<focus>(?:[\w'’-]+\s+){0,2}?[\w'’-]+)\s+\w+ed\b", re.I)
# "when was X founded", "when will the accelerator open": the event dated must be in the evidence, in
# one of its usual wordings (an office "set up" in the question is "established" in the article).
_EVENTS: dict[str, tuple[str, ...]] = {
    "founding": ("founded", "established", "set up", "created", "opened", "launched", "built", "started"),
    "opening": ("open", "opens", "opened", "start", "starts", "begin", "begins", "launch", "launched", "commence"),
    "ending": ("end", "ends", "close", "closes", "finish", "finishes", "complete", "completed"),
}
# The words a "when" question ends with, and the event each one dates. "Opened" in the past is when a
# thing came to be ("when was the office opened": the article says it "was established"); "open" and
# "opens" ask when it opens its doors ("when does the library open").
_EVENT_OF_WORD = {
    **dict.fromkeys(("founded", "established", "set up", "created", "built", "opened"), "founding"),
    **dict.fromkeys(("open", "opens"), "opening"),
    **dict.fromkeys(("end", "ends", "close"), "ending"),
}
_WHEN_EVENT = re.compile(
    r"^when\s+(?:is|are|was|were|does|do|did|will)\b.*?\b(?P<event>"
    + "|".join(sorted((re.escape(w).replace(r"\ ", r"\s+") for w in _EVENT_OF_WORD), key=len, reverse=True))
    + r")\s*\??$",
    re.I,
)
_FOCUS_END = re.compile(rf"\s+{_FOCUS_STOP}\b", re.I)
# The same events named anywhere in a question ("what has been *set up* under the project"): a sentence
# saying it in any of the event's wordings ("has been *created*") more likely answers.
_ANY_EVENT = re.compile(
    r"\b(?P<event>"
    + "|".join(sorted((re.escape(w).replace(r"\ ", r"\s+") for w in _EVENT_OF_WORD), key=len, reverse=True))
    + r")\b",
    re.I,
)


def asked_focus(question: str) -> str | None:
    """The words naming what a question asks the value of ("tuition fee"), when its structure says."""
    question = question.strip()
    for pattern in _FOCUS_PATTERNS:
        match = pattern.search(question)
        if match:
            return _FOCUS_END.split(match.group("focus"), maxsplit=1)[0].strip() or None
    for pattern in (_AMOUNT_PATTERN, _WON_PATTERN):
        match = pattern.search(question)
        if match:
            return _FOCUS_END.split(match.group("focus"), maxsplit=1)[0].strip() or None
    match = _COUNT_PATTERN.search(question) or _COUNT_BEFORE_VERB.search(question)
    if match:
        words = match.group("focus").split()
        return next((word for word in words if word.lower().endswith("s")), words[0])
    return None


def asked_owner(question: str) -> str | None:
    """The named thing whose value is asked ("Zhejiang University" in "who is the rector of ..."), if any.

    Only its capitalised words count (see indexer/answer/evidence.py): "the university" is any university.
    """
    question = question.strip()
    for pattern in _OWNER_PATTERNS:
        match = pattern.search(question)
        if match:
            return match.group("owner").strip() or None
    return None


def event_wordings(question: str) -> re.Pattern[str] | None:
    """A pattern for the usual wordings of the event a question names (founding, opening, ending), if any."""
    match = _ANY_EVENT.search(question)
    if match is None:
        return None
    wordings = _EVENTS[_EVENT_OF_WORD[" ".join(match.group("event").lower().split())]]
    return re.compile(r"\b(?:" + "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in wordings) + r")\b", re.I)


def asked_event(question: str) -> tuple[str, tuple[str, ...]] | None:
    """For "when was X founded"-like questions, the event's word in the question and its usual wordings."""
    match = _WHEN_EVENT.search(question.strip())
    if match is None:
        return None
    word = " ".join(match.group("event").lower().split())
    return word, _EVENTS[_EVENT_OF_WORD[word]]
