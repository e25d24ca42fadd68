"""Checking that a cited sentence, read with its neighbours and its article's title, covers the question.

Retrieval always returns the closest passages, and in a large archive the closest passage about
"the Nobel Prize in Physics in 2023" may be one about the 2001 Peace Prize. A sentence supports an
answer only when its context (the sentence, the sentences either side, the title) holds

- every year the question names ("2023" is not answered by a sentence about 2001),
- the question's specific terms, weighted by IDF so rare names ("yuan", "ruble", "tuition") count
  most and everyday words ("university") little, and, among them, the rarest term of all (a
  question about "the yuan to the ruble" is not answered by a sentence on the florin, however many
  of its other words match), and
- the kind of fact asked for: a date for "when", an amount for "how many", a person for "who".

Each failure carries a reason a person can read, naming what is missing in the question's own words.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from indexer.answer_types import AnswerKind, kind_evidence

Analyse = Callable[[str], frozenset[str]]
Weigh = Callable[[str], float]

_YEAR = re.compile(r"\b(?:1[89]|20)\d\d\b")
_WORD = re.compile(r"[\w'’-]+")
# A capitalised word after the first, not an acronym: "Harbin", "Nobel", "Petersburg". Short acronyms
# (PhD, CAS, NUST) are left out: staff use them as aliases the articles spell out in full.
_NAME = re.compile(r"(?<!^)\b[A-Z][a-z][a-z'’-]*\b(?![\w'’-])")
_KIND_WORDS: dict[AnswerKind, str] = {
    "time": "a date",
    "number": "a number",
    "person": "a person's name",
    "place": "a place",
    "acronym": "what the abbreviation stands for",
}


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether a context supports an answer; when not, why, in words a person can read."""

    supported: bool
    coverage: float
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class QuestionTerms:
    """A question's analysed terms with IDF weights, and the question words each term came from."""

    weights: dict[str, float]
    words: dict[str, str]
    years: tuple[str, ...]
    names: dict[str, tuple[str, ...]]

    def phrase(self, missing: Iterable[str], question: str) -> str:
        """The missing terms as the question wrote them, adjacent words joined: 'tuition fee'."""
        wanted = {self.words[term].lower() for term in missing if term in self.words}
        runs: list[list[str]] = [[]]
        for word in _WORD.findall(question):
            if word.lower() in wanted:
                runs[-1].append(word)
            elif runs[-1]:
                runs.append([])
        phrases = [" ".join(run) for run in runs if run]
        return "', '".join(phrases[:2]) if phrases else ", ".join(sorted(missing))


def question_terms(question: str, analyse: Analyse, weigh: Weigh) -> QuestionTerms:
    words: dict[str, str] = {}
    for word in _WORD.findall(question):
        for term in analyse(word):
            words.setdefault(term, word)
    weights = {term: weigh(term) for term in analyse(question)}
    names = {name: tuple(sorted(terms)) for name in _NAME.findall(question.strip()) if (terms := analyse(name))}
    return QuestionTerms(
        weights=weights, words=words, years=tuple(dict.fromkeys(_YEAR.findall(question))), names=names
    )


class EvidenceChecker:
    """Decides whether a sentence's context supports answering; thresholds chosen on the archive set.

    ``min_coverage`` is the IDF-weighted share of the question's terms the context must hold;
    ``rare_share`` makes the rarest term mandatory when it alone carries that share of the
    question's weight (a question hinging on one name is unanswered without that name).
    """

    def __init__(
        self, analyse: Analyse, weigh: Weigh, *, min_coverage: float = 0.5, rare_share: float = 0.3
    ) -> None:
        self.analyse = analyse
        self.weigh = weigh
        self.min_coverage = min_coverage
        self.rare_share = rare_share

    def terms(self, question: str) -> QuestionTerms:
        return question_terms(question, self.analyse, self.weigh)

    def check(
        self,
        question: str,
        terms: QuestionTerms,
        kind: AnswerKind | None,
        sentence: str,
        context: str,
        *,
        date: str | None = None,
        article_terms: frozenset[str] = frozenset(),
        mentioned: Callable[[str], bool] = lambda _term: True,
    ) -> Verdict:
        """Judge ``sentence`` (the cited text) read within ``context`` (title, neighbours).

        ``mentioned(term)`` says whether any retrieved passage holds a term, so that a reason can
        say "no passage mentions" rather than "the closest sentence does not mention".
        """
        context_terms = self.analyse(context)
        coverage = _coverage(terms.weights, context_terms)
        for year in terms.years:
            if year not in context and not (date or "").startswith(year):
                return Verdict(False, coverage, _missing_reason(f"'{year}'", mentioned(year)))
        for name, name_terms in terms.names.items():
            if not all(_named(term, article_terms | context_terms) for term in name_terms):
                return Verdict(False, coverage, _missing_reason(f"'{name}'", all(mentioned(t) for t in name_terms)))
        missing = [term for term in terms.weights if term not in context_terms]
        total = sum(terms.weights.values())
        if missing and total > 0:
            rarest = max(missing, key=lambda term: (terms.weights[term], term))
            if terms.weights[rarest] / total >= self.rare_share or coverage < self.min_coverage:
                worst = sorted(missing, key=lambda term: (-terms.weights[term], term))[:2]
                phrase = terms.phrase(worst, question)
                return Verdict(False, coverage, _missing_reason(f"'{phrase}'", all(mentioned(t) for t in worst)))
        if kind in ("time", "number", "person") and kind_evidence(kind, question, sentence) == 0.0:
            return Verdict(False, coverage, f"the closest passages give no {_KIND_WORDS[kind]} for this question")
        return Verdict(True, coverage)


def _named(term: str, terms: frozenset[str]) -> bool:
    # A name's stem may be a prefix of the article's ("polytech" in "polytechn"): the same name.
    return term in terms or (len(term) >= 5 and any(other.startswith(term) for other in terms))


def _coverage(weights: dict[str, float], terms: frozenset[str]) -> float:
    total = sum(weights.values())
    return sum(w for term, w in weights.items() if term in terms) / total if total > 0 else 0.0


def _missing_reason(what: str, anywhere: bool) -> str:
    if anywhere:
        return f"no sentence mentions {what} together with the rest of the question"
    return f"no passage mentions {what}"
