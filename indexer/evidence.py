"""Checking that a cited sentence, read with its neighbours and its article, covers what a question asks.

Retrieval always returns the closest passages, and in a large archive the closest passage about
"the Nobel Prize in Physics in 2023" may be one about the 2001 Peace Prize. A sentence supports an
answer only when

- its context (the sentence, its neighbours, the title, the article's date) holds every year the
  question names: "2023" is not answered by a sentence about 2001;
- its article names what the question names ("Harbin", "Hangzhou", "Petersburg"): a question about
  the mayor of Hangzhou is not answered from a story on New York;
- its context holds the thing whose value is asked for, read off the question's structure ("what is
  the <exchange rate> of", "how much does a <parking permit> cost", "how many <scholarships>"): a
  sentence about SPbPU's partners does not give its tuition fee;
- it holds the kind of fact asked for: a date for "when", an amount for "how many", a person for "who".

Each failure carries a reason a person can read, naming what is missing in the question's own words.
Matching is on the keyword index's analysed terms (stemmed), so "partners" meets "partnering".
Requiring every IDF-weighted term was tried and rejected: staff paraphrase ("housed" for
"located"), and no lexical weighting told a paraphrase from a missing fact (eval/README.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from indexer.answer_types import AnswerKind, asked_focus, kind_evidence

Analyse = Callable[[str], frozenset[str]]

_YEAR = re.compile(r"\b(?:1[89]|20)\d\d\b")
# A capitalised word after the first, not an acronym: "Harbin", "Nobel", "Petersburg". Acronyms and
# mixed-case words (PhD, CAS, NUST) are left out: staff use them as aliases the articles spell out.
_NAME = re.compile(r"(?<!^)\b[A-Z][a-z][a-z'’-]*\b(?![\w'’-])")
_KIND_WORDS: dict[AnswerKind, str] = {
    "time": "date",
    "number": "number",
    "person": "person's name",
    "place": "place",
    "acronym": "expansion of the abbreviation",
}


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether a context supports an answer; when not, why, in words a person can read."""

    supported: bool
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class QuestionEvidence:
    """What a question requires of its evidence: years, names and the asked-for thing, analysed."""

    years: tuple[str, ...]
    names: dict[str, tuple[str, ...]]
    focus: str | None
    focus_terms: tuple[str, ...]
    kind: AnswerKind | None


def question_evidence(question: str, analyse: Analyse, kind: AnswerKind | None) -> QuestionEvidence:
    question = question.strip()
    names = {name: tuple(sorted(terms)) for name in _NAME.findall(question) if (terms := analyse(name))}
    focus = asked_focus(question)
    return QuestionEvidence(
        years=tuple(dict.fromkeys(_YEAR.findall(question))),
        names=names,
        focus=focus,
        focus_terms=tuple(sorted(analyse(focus))) if focus else (),
        kind=kind,
    )


def check(
    question: str,
    wanted: QuestionEvidence,
    sentence: str,
    context: str,
    context_terms: frozenset[str],
    article_terms: frozenset[str],
    *,
    date: str | None = None,
    mentioned: Callable[[str], bool] = lambda _term: True,
) -> Verdict:
    """Judge ``sentence`` (the cited text) read within ``context`` (title, neighbours) and its article.

    ``mentioned(term)`` says whether any retrieved passage holds a term, so that a reason says
    "no passage mentions" only when that is true.
    """
    for year in wanted.years:
        if year not in context and not (date or "").startswith(year):
            return Verdict(False, _missing(f"'{year}'", mentioned(year)))
    for name, terms in wanted.names.items():
        if not all(_holds(term, article_terms | context_terms) for term in terms):
            return Verdict(False, _missing(f"'{name}'", all(mentioned(term) for term in terms)))
    if wanted.focus and not all(_holds(term, context_terms) for term in wanted.focus_terms):
        return Verdict(False, _missing(f"'{wanted.focus}'", all(mentioned(term) for term in wanted.focus_terms)))
    kind = wanted.kind
    if kind in ("time", "number", "person") and kind_evidence(kind, question, sentence) == 0.0:
        return Verdict(False, f"the closest passages give no {_KIND_WORDS[kind]} for this question")
    return Verdict(True)


def _holds(term: str, terms: frozenset[str]) -> bool:
    if term in terms:
        return True
    # British and American spellings stem apart ("programm", "program"; "polytech", "polytechn"): a
    # shared stem of five letters or more is taken for the same word.
    return len(term) >= 5 and any(len(o) >= 5 and (o.startswith(term) or term.startswith(o)) for o in terms)


def _missing(what: str, anywhere: bool) -> str:
    if anywhere:
        return f"no sentence mentions {what} together with the rest of the question"
    return f"no passage mentions {what}"
