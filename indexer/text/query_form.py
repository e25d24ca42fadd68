"""Whether a query asks something (a question or a statement) or only names a topic (keywords).

The search page shows an answer card only for a query that asks something: "Who led the JITRI
delegation?" does, "JITRI" does not, and a confident answer sentence under a bare name reads as
if the name had been a question. The rule looks at the query's form alone, in English and
Russian: a question mark, a question word first, or a verb.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")

_QUESTION_WORDS = frozenset(
    """
    who whom whose what which when where why how
    кто кого кому кем что чего чем когда где куда откуда почему зачем как какой какая какое какие
    каков какова каково каковы сколько чей чья чьё чье чьи
    """.split()
)
# Verbs that start a question ("Is the office open", "Did SPbPU sign") and that, anywhere in a
# query of several words, make it a statement to answer ("the rector was elected in").
_AUXILIARIES = frozenset(
    """
    is are was were be been am do does did has have had will would can could should shall may might must
    """.split()
)
# Russian past tense (открыл, подписали, открылось) and infinitives (открыть, находиться): the
# endings stand after a stem of at least three letters, so short nouns (дело, путь) do not count.
_RUSSIAN_VERB = re.compile(r"^[а-яё]{3,}(?:[аеиоуыя]л(?:а|о|и)?(?:сь|ся)?|ть(?:ся)?|чь(?:ся)?)$")
# Nouns of university news that end like a past tense.
_RUSSIAN_NOUNS = frozenset(
    """
    материал материала материалы филиал филиала филиалы потенциал потенциала персонал персонала канал канала
    журнал журнала капитал капитала сигнал финал финала генерал арсенал идеал интервал отдел отдела раздел
    раздела предел протокол протокола посол посла стол ректорат
    """.split()
)
# English regular past tense in a query of three words or more ("Polytech opened an office");
# in two words an -ed word is usually an adjective ("advanced materials").
_ENGLISH_PAST = re.compile(r"^[a-z]{3,}ed$")
_PAST_MIN_WORDS = 3


def asks_question(text: str) -> bool:
    """True for a question or a statement to verify; False for keywords ("JITRI", "rector election").

    In order: a question mark; a question word or auxiliary first ("who", "когда", "did"); the
    Russian particle "ли"; with two words or more, an auxiliary or a Russian verb form; with
    three or more, an English regular past tense after the first word.
    """
    if "?" in text or "？" in text:
        return True
    words = [word.lower() for word in _WORD.findall(text)]
    if not words:
        return False
    if words[0] in _QUESTION_WORDS or words[0] in _AUXILIARIES or "ли" in words:
        return True
    if len(words) < 2:
        return False
    if any(word in _AUXILIARIES or (_RUSSIAN_VERB.match(word) and word not in _RUSSIAN_NOUNS) for word in words):
        return True
    return len(words) >= _PAST_MIN_WORDS and any(_ENGLISH_PAST.match(word) for word in words[1:])
