"""What the learned answerer knows about a candidate sentence: one row of numbers per sentence, no model call.

Every feature is computed from what answering already has at hand: the stored sentence vectors
and the question's vector (meaning), the keyword index's analyser and IDF (which words, how rare),
the question's structure (indexer/answer/question.py: the asked-for thing, kind of fact, event), the
evidence check's verdict (indexer/answer/evidence.py), and where the sentence sits (passage rank and
score, position in its article). ``FEATURES`` names the columns; ``indexer/answer/model.json``
stores one coefficient per name, so a feature is added by adding a name here and retraining
(``python -m eval.tuning.train_answerer``).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from indexer.answer.question import AnswerKind, asked_focus
from indexer.encoders.base import Vectors

AnalyseList = Callable[[str], list[str]]

FEATURES: tuple[str, ...] = (
    "cosine",  # question vs sentence (0 where the model does not cover the language)
    "cosine_context",  # question vs the sentence with its neighbours (mean of their stored vectors)
    "cosine_gap",  # this sentence's cosine less the best candidate's: how far from the best match
    "dense_passage",  # the passage's dense score (title and text)
    "bm25",  # sentence-level BM25 over the question's terms, divided by their summed IDF
    "coverage",  # IDF-weighted share of the question's terms in the sentence
    "coverage_context",  # ... in the sentence, its neighbours and the title
    "coverage_gap",  # this sentence's coverage less the best candidate's
    "focus_sentence",  # share of the asked-for thing's terms ("tuition fee") in the sentence; 1 if none asked
    "focus_context",  # ... in the context
    "names",  # share of the question's names, acronyms and numbers found in the context or article
    "years",  # share of the question's years in the context or the article's date
    "kind",  # +1 strong evidence of the kind asked (a date for "when"), 0 weak, -1 none; 0 if no kind asked
    "event",  # +1 the asked event in one of its wordings ("established" for "opened"), -1 not, 0 none asked
    "evidence",  # 1 when the evidence check (indexer/answer/evidence.py) accepts the sentence
    "rank_prior",  # 1 / the passage's rank
    "passage_score",  # the passage's fused score over the top passage's
    "position",  # the sentence's place in its article, 0 first to 1 last
    "lede",  # 1 for an article's first sentence
    "heading",  # 1 for a heading or caption line (no final stop)
    "echo",  # 1 when the sentence holds nothing but the question's own terms
    "length",  # words in the sentence over 40, at most 1
    "uncovered",  # 1 when the model does not cover the question's language (cosines are 0)
    "best_cosine",  # the question's best sentence cosine: does anything come close at all
    "best_coverage",  # the question's best passage coverage (with title)
    "rules_score",  # the hand-weighted score of the rules answerer
    "rules_top",  # 1 for the sentence the rules answerer's score puts first
    "bm25_gap",  # this sentence's BM25 less the best candidate's
    "context_gap",  # this sentence's context cosine less the best candidate's
    "rules_pick",  # 1 for the sentence the rules answerer cites (after its evidence check)
    "rules_answers",  # 1 when the rules answerer answers the question at all
    "new_names",  # names and acronyms in the sentence the question does not have (3 or more: 1)
    "new_numbers",  # numbers in the sentence the question does not have (2 or more: 1)
    "new_names_asked",  # new_names when the question asks for a name (who, which, where, what ...)
    "new_numbers_asked",  # new_numbers when the question asks for a number or a date
    "echo_share",  # share of the sentence's terms that are the question's own
    "neighbour_coverage",  # coverage of the question by the sentences around it (not itself)
)
# What the abstainer reads of the top sentence, beside its log-odds and lead: whether the question's
# names, years and asked-for thing are there at all, and whether anything came close.
ABSTAIN_FEATURES: tuple[str, ...] = (
    "evidence",
    "names",
    "years",
    "focus_context",
    "kind",
    "event",
    "coverage",
    "best_cosine",
    "best_coverage",
    "uncovered",
    "rules_pick",
    "rules_answers",
)

# Sentence-level BM25 constants: the keyword index's own k1 and b; sentences average about 20 terms.
_K1, _B, _AVG_TERMS = 0.9, 0.4, 20.0
_YEAR = re.compile(r"\b(?:1[89]|20)\d\d\b")
# Names a question must find: capitalised words after the first, acronyms (JITRI, HIT), numbers.
_NAME = re.compile(r"(?<!^)\b[A-ZА-ЯЁ][\wё'’-]+|\b[A-ZА-ЯЁ]{2,}[\w-]*|\b\d[\d.,]*\b")
_CAPITALISED = re.compile(r"(?<!^)(?<![.!?]\s)\b[A-ZА-ЯЁ][\wё'’-]+")
_NUMBER = re.compile(r"\d[\d.,]*\d|\d")
_WORD = re.compile(r"[\wё'’-]+")
# Questions whose answer is a name: who, which, where, what (English) and their Russian forms.
_NAME_QUESTION = re.compile(
    r"^\s*(?:who|whom|whose|which|where|what|кто|кого|кому|где|куда|какой|какая|какое|какие|каким|чем|что)\b", re.I
)
_NUMBER_KINDS = frozenset({"number", "time"})


@dataclass(frozen=True, slots=True)
class QuestionFacts:
    """What the question asks, analysed once: its terms with IDF, the asked-for thing, names, years, kind."""

    weights: dict[str, float]
    counts: dict[str, int]
    focus_terms: frozenset[str]
    name_terms: tuple[frozenset[str], ...]
    years: tuple[str, ...]
    kind: AnswerKind | None
    uncovered: bool
    words: frozenset[str] = frozenset()
    wants_name: bool = False
    wants_number: bool = False


@dataclass(frozen=True, slots=True)
class SentenceFacts:
    """One candidate as the feature function sees it: texts, analysed terms and scores already known."""

    text: str
    terms: frozenset[str]
    term_list: Sequence[str]
    context: str
    context_terms: frozenset[str]
    article_terms: frozenset[str]
    date: str | None
    cosine: float
    cosine_context: float
    dense_passage: float
    rank: int
    passage_score: float
    position: float
    lede: bool
    heading: bool
    kind_evidence: float
    event: float
    evidence: bool
    rules_score: float
    rules_pick: bool = False
    neighbour_coverage: float = 0.0


def question_facts(
    question: str,
    analyse: Callable[[str], frozenset[str]],
    idf: Callable[[str], float],
    kind: AnswerKind | None,
    *,
    covered: bool,
    analyse_list: AnalyseList,
) -> QuestionFacts:
    terms = analyse(question)
    focus = asked_focus(question)
    names = tuple(dict.fromkeys(_NAME.findall(question.strip())))
    return QuestionFacts(
        weights={term: idf(term) for term in terms},
        counts=dict(Counter(t for t in analyse_list(question) if t in terms)),
        focus_terms=analyse(focus) if focus else frozenset(),
        name_terms=tuple(found for name in names if (found := analyse(name))),
        years=tuple(dict.fromkeys(_YEAR.findall(question))),
        kind=kind,
        uncovered=not covered,
        words=frozenset(w.lower() for w in _WORD.findall(question)),
        wants_name=kind in ("person", "place", "organisation", "acronym")
        or (kind is None and bool(_NAME_QUESTION.search(question))),
        wants_number=kind in _NUMBER_KINDS,
    )


def coverage(weights: dict[str, float], terms: frozenset[str]) -> float:
    """The IDF-weighted share of the question's terms that ``terms`` contains."""
    total = sum(weights.values())
    return sum(w for term, w in weights.items() if term in terms) / total if total > 0 else 0.0


def sentence_bm25(weights: dict[str, float], term_list: Sequence[str]) -> float:
    """BM25 of one sentence for the question's terms, over their summed IDF (about 0 to 1)."""
    total = sum(weights.values())
    if total <= 0 or not term_list:
        return 0.0
    counts = Counter(term_list)
    norm = _K1 * (1 - _B + _B * len(term_list) / _AVG_TERMS)
    score = sum(w * counts[t] * (_K1 + 1) / (counts[t] + norm) for t, w in weights.items() if counts[t])
    return score / (total * (_K1 + 1))


def _share(groups: Sequence[frozenset[str]], terms: frozenset[str]) -> float:
    return sum(group <= terms for group in groups) / len(groups) if groups else 1.0


def _focus(focus: frozenset[str], terms: frozenset[str]) -> float:
    return len(focus & terms) / len(focus) if focus else 1.0


def feature_matrix(
    facts: QuestionFacts, sentences: Sequence[SentenceFacts], *, best_coverage: float, rules_answers: bool = False
) -> Vectors:
    """One row of ``FEATURES`` per sentence (float32)."""
    rows = np.zeros((len(sentences), len(FEATURES)), dtype=np.float32)
    if not sentences:
        return rows
    coverages = [coverage(facts.weights, s.terms) for s in sentences]
    best_cov = max(coverages)
    best_cos = max(s.cosine for s in sentences)
    bm25 = [sentence_bm25(facts.weights, s.term_list) for s in sentences]
    best_context = max(s.cosine_context for s in sentences)
    rules_top = max(range(len(sentences)), key=lambda i: (sentences[i].rules_score, -i))
    novelty = [_novelty(facts, s) for s in sentences]
    for i, (s, cov) in enumerate(zip(sentences, coverages, strict=True)):
        known = s.context_terms | s.article_terms
        years = sum(year in s.context or (s.date or "").startswith(year) for year in facts.years)
        kind = (2 * s.kind_evidence - 1) if facts.kind is not None else 0.0
        rows[i] = (
            s.cosine,
            s.cosine_context,
            s.cosine - best_cos,
            s.dense_passage,
            bm25[i],
            cov,
            coverage(facts.weights, s.context_terms),
            cov - best_cov,
            _focus(facts.focus_terms, s.terms),
            _focus(facts.focus_terms, s.context_terms),
            _share(facts.name_terms, known),
            years / len(facts.years) if facts.years else 1.0,
            kind,
            s.event,
            float(s.evidence),
            1.0 / s.rank,
            s.passage_score,
            s.position,
            float(s.lede),
            float(s.heading),
            float(not (s.terms - facts.weights.keys())),
            min(1.0, len(s.text.split()) / 40.0),
            float(facts.uncovered),
            best_cos,
            best_coverage,
            s.rules_score,
            float(i == rules_top),
            bm25[i] - max(bm25),
            s.cosine_context - best_context,
            float(s.rules_pick),
            float(rules_answers),
            novelty[i][0],
            novelty[i][1],
            novelty[i][0] * facts.wants_name,
            novelty[i][1] * facts.wants_number,
            len(s.terms & facts.weights.keys()) / len(s.terms) if s.terms else 0.0,
            s.neighbour_coverage,
        )
    if not np.all(np.isfinite(rows)):
        rows = np.nan_to_num(rows, nan=0.0, posinf=0.0, neginf=0.0)
    return rows


def _novelty(facts: QuestionFacts, sentence: SentenceFacts) -> tuple[float, float]:
    """How many names and numbers the sentence adds to the question's (an answer brings something new)."""
    names = {w.lower() for w in _CAPITALISED.findall(sentence.text)} - facts.words
    numbers = {n for n in _NUMBER.findall(sentence.text)} - facts.words
    return min(1.0, len(names) / 3.0), min(1.0, len(numbers) / 2.0)


def missing_names(facts: QuestionFacts, terms: frozenset[str]) -> list[frozenset[str]]:
    """The question's names (analysed) that ``terms`` lacks, for the reason an abstention gives."""
    return [group for group in facts.name_terms if not group <= terms]


def logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))
