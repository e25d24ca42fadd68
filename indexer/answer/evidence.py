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
"located"), and no lexical weighting told a paraphrase from a missing fact (CHANGELOG.md, "Answers").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from indexer.answer.question import AnswerKind, asked_event, asked_focus, asked_owner, kind_evidence

Analyse = Callable[[str], frozenset[str]]

_YEAR = re.compile(r"\b(?:1[89]|20)\d\d\b")
# A capitalised word after the first, not an acronym: "Harbin", "Nobel", "Petersburg". Acronyms and
# mixed-case words (PhD, CAS, NUST) are left out: staff use them as aliases the articles spell out.
_NAME = re.compile(r"(?<!^)\b[A-Z][a-z][a-z'’-]*\b(?![\w'’-])")
_MAX_SPELLING_GAP = 3
KIND_WORDS: dict[AnswerKind, str] = {
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
    owner: str | None = None
    owner_terms: tuple[str, ...] = ()
    event: str | None = None
    event_terms: tuple[frozenset[str], ...] = ()
    owner_noun: str | None = None
    owner_noun_terms: tuple[str, ...] = ()


def question_evidence(question: str, analyse: Analyse, kind: AnswerKind | None) -> QuestionEvidence:
    question = question.strip()
    names = {name: tuple(sorted(terms)) for name in _NAME.findall(question) if (terms := analyse(name))}
    focus = asked_focus(question)
    owner = asked_owner(question)
    event = asked_event(question)
    # A one-word owner is usually a short form the article spells otherwise ("Polytech" is "SPbPU" in the
    # sentence that names its rector); a full name ("Zhejiang University") is how articles write it.
    # _NAME skips a question's first word; the owner's first word is a name like any other (the space).
    owner_words = _NAME.findall(f" {owner}") if owner else []
    owner_names = " ".join(owner_words) if len(owner_words) >= 2 else ""
    noun = _common_head(owner) if owner else None
    return QuestionEvidence(
        years=tuple(dict.fromkeys(_YEAR.findall(question))),
        names=names,
        focus=focus,
        focus_terms=tuple(sorted(analyse(focus))) if focus else (),
        kind=kind,
        owner=owner if owner_names else None,
        owner_terms=tuple(sorted(analyse(owner_names))) if owner_names else (),
        event=event[0] if event else None,
        event_terms=tuple(terms for wording in event[1] if (terms := analyse(wording))) if event else (),
        owner_noun=noun,
        owner_noun_terms=tuple(sorted(analyse(noun))) if noun else (),
    )


_HEAD_END = re.compile(r"\s(?:of|in|at|to|per|for|on|from|versus|vs|with|by|today|now)\b.*$", re.I)


def _common_head(owner: str) -> str | None:
    """The owner's lower-case words before its first preposition ("gold" in "gold per ounce today")."""
    head = _HEAD_END.sub("", f" {owner}").strip()
    words = [w for w in head.split() if w[:1].islower() and w.lower() not in ("a", "an", "the")]
    return " ".join(words) or None


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
    sentence_terms: frozenset[str] | None = None,
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
    if wanted.event_terms and not any(all(_holds(t, context_terms) for t in w) for w in wanted.event_terms):
        return Verdict(
            False, _missing(f"'{wanted.event}'", any(all(mentioned(t) for t in w) for w in wanted.event_terms))
        )
    # Whose value is asked must be in the cited sentence itself: a neighbour naming Zhejiang University
    # does not make "the rector" of the sentence its rector.
    owner_scope = context_terms if sentence_terms is None else sentence_terms
    if wanted.owner and not all(_holds(term, owner_scope) for term in wanted.owner_terms):
        return Verdict(False, _missing(f"'{wanted.owner}'", all(mentioned(term) for term in wanted.owner_terms)))
    if wanted.owner_noun and not all(_holds(term, context_terms) for term in wanted.owner_noun_terms):
        return Verdict(
            False, _missing(f"'{wanted.owner_noun}'", all(mentioned(term) for term in wanted.owner_noun_terms))
        )
    if wanted.focus and not all(_holds(term, context_terms) for term in wanted.focus_terms):
        return Verdict(False, _missing(f"'{wanted.focus}'", all(mentioned(term) for term in wanted.focus_terms)))
    kind = wanted.kind
    if kind in ("time", "number", "person") and kind_evidence(kind, question, sentence) == 0.0:
        return Verdict(False, f"the closest passages give no {KIND_WORDS[kind]} for this question")
    return Verdict(True)


def _holds(term: str, terms: frozenset[str]) -> bool:
    if term in terms:
        return True
    # British and American spellings stem apart ("programm", "program"; "polytech", "polytechn"): a
    # shared stem of five letters or more is taken for the same word.
    # Only a few letters apart, though: "Peter" is not "Petersburg".
    return len(term) >= 5 and any(
        len(o) >= 5 and abs(len(o) - len(term)) <= _MAX_SPELLING_GAP and (o.startswith(term) or term.startswith(o))
        for o in terms
    )


def _missing(what: str, anywhere: bool) -> str:
    if anywhere:
        return f"no sentence mentions {what} together with the rest of the question"
    return f"no passage mentions {what}"
