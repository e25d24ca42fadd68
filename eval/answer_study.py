"""How far sentence choice can go on the answerer's own evidence: ``python -m eval.answer_study``.

For every answerable question, each candidate sentence of the answerer's top passages is
labelled correct when it holds one of the question's answers in one of its articles (the rule
``answer_acc`` uses). The study then reports how often the top candidate is correct when
candidates are ranked:

- by the shipped answerer score;
- by each evidence feature alone;
- by a listwise logistic regression over all features, scored leave-one-question-out (an honest
  estimate of what learned weights would give on new questions) and in-sample (what weights
  fitted to these very questions reach: optimistic);

next to the ceiling: the share of questions with any correct candidate at all. When the
in-sample figure stays far below the ceiling, the missing answers need evidence these features
do not carry (a reader or cross-encoder model), not better weights.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

from eval.errors import EvalError
from eval.local import LocalBackend
from eval.questions import DEFAULT_QUESTIONS, Question, load_questions
from eval.relevance import is_relevant
from indexer.answer_types import expected_kind
from indexer.answering import Answerer, Candidate, looks_like_heading
from indexer.cli import DEFAULT_INDEX
from indexer.errors import PolysearchError

FEATURES = (
    "cosine",
    "coverage",
    "kind_evidence",
    "kind_missing",
    "rank_prior",
    "heading",
    "echo",
    "passage_score",
    "log_words",
    "novel_terms",
    "previous_cosine",
    "next_cosine",
    "previous_coverage",
    "title_coverage",
    "cosine_gap",
    "coverage_gap",
    "capitalised",
    "has_digit",
)
REGULARISATION = (0.1, 1.0, 10.0)
_CAPITALISED_WORD = re.compile(r"\b[A-Z][\w'’-]+")


@dataclass(frozen=True, slots=True)
class QuestionCandidates:
    question: Question
    features: np.ndarray  # (candidates, len(FEATURES))
    correct: np.ndarray  # (candidates,) bool
    shipped: np.ndarray  # the answerer's own score per candidate
    order: np.ndarray  # tie-break: passage rank, then position in the article


@dataclass(frozen=True, slots=True)
class StudyResult:
    questions: int
    ceiling: int
    shipped: int
    single: dict[str, int]
    learned_loo: dict[float, int]
    learned_in_sample: dict[float, int]


class _Context:
    """Neighbouring sentences: the index stores each article's sentences in order, contiguously."""

    def __init__(self, answerer: Answerer) -> None:
        self.answerer = answerer
        self.sentences = answerer.retriever.index.sentences
        self.row = {(s.article_id, s.start, s.end): row for row, s in enumerate(self.sentences)}

    def neighbour(self, article_id: str, start: int, end: int, step: int) -> tuple[str, int, int] | None:
        row = self.row.get((article_id, start, end))
        if row is None or not 0 <= row + step < len(self.sentences):
            return None
        sentence = self.sentences[row + step]
        return (article_id, sentence.start, sentence.end) if sentence.article_id == article_id else None


def _features(context: _Context, question: str, vector: np.ndarray, candidates: list[Candidate]) -> np.ndarray:
    answerer, retriever = context.answerer, context.answerer.retriever
    weights = answerer.term_weights(question)
    kind = expected_kind(question)
    top_cosine = max(c.cosine for c in candidates)
    top_coverage = max(c.coverage for c in candidates)
    rows = []
    for c in candidates:
        article_id = c.hit.passage.article_id
        body = retriever.article(article_id).body
        previous = context.neighbour(article_id, c.start, c.end, -1)
        following = context.neighbour(article_id, c.start, c.end, +1)
        neighbours = [span for span in (previous, following) if span is not None]
        cosines = iter(retriever.sentence_vectors(neighbours) @ vector if neighbours else [])
        previous_cosine = float(next(cosines)) if previous else 0.0
        next_cosine = float(next(cosines)) if following else 0.0
        terms = answerer.terms(c.text)
        rows.append(
            [
                c.cosine,
                c.coverage,
                c.evidence,
                float(kind is not None and c.evidence == 0.0),
                c.rank_prior,
                float(looks_like_heading(c.text)),
                float(not terms - weights.keys()),
                c.hit.score,
                math.log(len(c.text.split())),
                len(terms - weights.keys()) / max(1, len(terms)),
                previous_cosine,
                next_cosine,
                answerer.coverage(weights, answerer.terms(body[previous[1] : previous[2]])) if previous else 0.0,
                answerer.coverage(weights, answerer.terms(c.hit.passage.title) | terms),
                c.cosine - top_cosine,
                c.coverage - top_coverage,
                len(_CAPITALISED_WORD.findall(c.text)) / max(1, len(c.text.split())),
                float(any(ch.isdigit() for ch in c.text)),
            ]
        )
    return np.asarray(rows, dtype=np.float64)


def collect(backend: LocalBackend, questions: Sequence[Question], *, k: int = 5) -> list[QuestionCandidates]:
    """Every answerable question's candidate sentences with features and labels (no abstention)."""
    # The sentence the answerer ranks first, before its evidence check (which may abstain or pass it over).
    answerer = Answerer(backend.retriever, min_confidence=0.0, check_evidence=False)
    context = _Context(answerer)
    answerable = [q for q in questions if q.answerable]
    vectors = backend.retriever.encode_queries([q.question for q in answerable])
    collected = []
    for question, vector in zip(answerable, vectors, strict=True):
        vector = np.asarray(vector, dtype=np.float32)
        hits = backend.retriever.search(question.question, k=k, mode="hybrid", query_vector=vector)
        candidates = answerer.candidates(question.question, hits, vector)
        if not candidates:
            continue
        collected.append(
            QuestionCandidates(
                question=question,
                features=_features(context, question.question, vector, candidates),
                correct=np.array([is_relevant(question, c.hit.passage.article_id, c.text) for c in candidates]),
                shipped=np.array([c.score for c in candidates]),
                order=np.array([c.hit.rank * 10_000_000 + c.start for c in candidates]),
            )
        )
    return collected


def top_is_correct(scores: np.ndarray, item: QuestionCandidates) -> bool:
    """The answerer's own choice rule: highest score, then best passage rank, then earliest."""
    best = min(range(len(scores)), key=lambda i: (-scores[i], item.order[i]))
    return bool(item.correct[best])


@dataclass(frozen=True, slots=True)
class ListwiseModel:
    """Linear weights over standardised features, fitted so each question's correct sentences win."""

    weights: np.ndarray
    mean: np.ndarray
    scale: np.ndarray

    def score(self, features: np.ndarray) -> np.ndarray:
        return np.asarray(((features - self.mean) / self.scale) @ self.weights, dtype=np.float64)

    @classmethod
    def fit(cls, items: Sequence[QuestionCandidates], l2: float) -> ListwiseModel:
        """Softmax over each question's candidates; loss = -log P(a correct one) + l2·|w|²."""
        stacked = np.concatenate([i.features for i in items])
        mean, scale = stacked.mean(axis=0), stacked.std(axis=0) + 1e-9
        groups = [((i.features - mean) / scale, i.correct) for i in items if i.correct.any()]

        def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
            total, gradient = l2 * float(w @ w), 2 * l2 * w
            for x, correct in groups:
                s = x @ w
                p = np.exp(s - s.max())
                p /= p.sum()
                p_correct = float(p[correct].sum())
                total -= math.log(p_correct + 1e-300)
                gradient -= (p * correct / p_correct) @ x - p @ x
            return total, gradient

        found = minimize(loss, np.zeros(stacked.shape[1]), jac=True, method="L-BFGS-B")
        return cls(weights=found.x, mean=mean, scale=scale)


def _learned(items: list[QuestionCandidates], l2: float, *, leave_one_out: bool) -> int:
    if not leave_one_out:
        model = ListwiseModel.fit(items, l2)
        return sum(top_is_correct(model.score(i.features), i) for i in items)
    right = 0
    for at, held_out in enumerate(items):
        model = ListwiseModel.fit(items[:at] + items[at + 1 :], l2)
        right += top_is_correct(model.score(held_out.features), held_out)
    return right


def _alone(items: list[QuestionCandidates], column: int) -> int:
    """Top-1 by one feature, in whichever direction serves it better (penalties rank low-first)."""
    return max(sum(top_is_correct(sign * i.features[:, column], i) for i in items) for sign in (1.0, -1.0))


def study(items: list[QuestionCandidates], *, regularisation: Sequence[float] = REGULARISATION) -> StudyResult:
    if not any(i.correct.any() for i in items) or all(i.correct.all() for i in items):
        raise EvalError("the study needs questions with both correct and wrong candidate sentences")
    return StudyResult(
        questions=len(items),
        ceiling=sum(bool(i.correct.any()) for i in items),
        shipped=sum(top_is_correct(i.shipped, i) for i in items),
        single={name: _alone(items, col) for col, name in enumerate(FEATURES)},
        learned_loo={c: _learned(items, c, leave_one_out=True) for c in regularisation},
        learned_in_sample={c: _learned(items, c, leave_one_out=False) for c in regularisation},
    )


def render(result: StudyResult, answerable: int) -> str:
    def share(n: int) -> str:
        return f"{n:3d}/{answerable} ({n / answerable:.3f})"

    lines = [
        f"{answerable} answerable questions; {result.questions} have candidate sentences",
        f"ceiling (a correct sentence among the candidates)   {share(result.ceiling)}",
        f"shipped answerer score                              {share(result.shipped)}",
        "one feature alone:",
        *(f"  {name:<20} {share(n)}" for name, n in result.single.items()),
        "listwise logistic regression over all features (l2 = penalty on the weights):",
        *(
            f"  l2={c:<5g} leave-one-question-out {share(result.learned_loo[c])}"
            f"   in-sample {share(result.learned_in_sample[c])}"
            for c in result.learned_loo
        ),
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.answer_study", description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=DEFAULT_INDEX, help="built index (default: index)")
    parser.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS, help="question set")
    parser.add_argument("-k", type=int, default=5, help="passages the answerer reads (default 5, as /ask)")
    args = parser.parse_args(argv)
    try:
        questions = load_questions(args.questions)
        items = collect(LocalBackend.open(args.index), questions, k=args.k)
        result = study(items)
    except (PolysearchError, EvalError) as exc:
        print(f"answer_study: error: {exc}", file=sys.stderr)
        return 2
    print(render(result, sum(q.answerable for q in questions)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
