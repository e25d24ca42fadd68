"""Calibration of the answerer's confidence: abstention thresholds and a reliability table.

Run the answerer with ``min_confidence=0`` so every question gets its best sentence and that
sentence's confidence; abstaining below a threshold ``t`` then changes nothing but which of
those answers are withheld, so every threshold is evaluated exactly from the same run.

The reliability table bins the answers the shipped answerer gives by confidence and shows how
many were right (an answer to an unanswerable question is wrong).
``python -m eval.tuning.calibration --distractors DIR`` prints it for the archive-scale index, for the raw
evidence score and for the confidence the answerer shows (the score through its fitted logistic
curve, ``indexer.answer.answerer.Calibration``); ``--fit`` refits that curve on these answers and says how
well it holds on answers it was not fitted on (five folds).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import numpy as np

from eval.metrics.answers import answer_correct
from eval.questions import Question
from eval.records import AskOutcome
from indexer.answer.answerer import ARCHIVE_CALIBRATION, Calibration


@dataclass(frozen=True, slots=True)
class ThresholdRow:
    threshold: float
    answer_acc: float
    abstain_unanswerable: float
    false_abstain: float


def _withheld(outcome: AskOutcome, threshold: float) -> AskOutcome:
    if outcome.abstained or outcome.confidence is None or outcome.confidence < threshold:
        return AskOutcome(answer=None, abstained=True, passage_id=None, confidence=outcome.confidence)
    return outcome


def threshold_table(
    questions: Sequence[Question], outcomes: Sequence[AskOutcome], thresholds: Sequence[float]
) -> list[ThresholdRow]:
    """Answer metrics at each threshold; ``outcomes`` must come from a run with no threshold."""
    pairs = list(zip(questions, outcomes, strict=True))
    answerable = [(q, o) for q, o in pairs if q.answerable]
    unanswerable = [o for q, o in pairs if not q.answerable]
    rows = []
    for t in thresholds:
        kept = [(q, _withheld(o, t)) for q, o in answerable]
        rows.append(
            ThresholdRow(
                threshold=t,
                answer_acc=sum(answer_correct(o, q.answers) for q, o in kept) / max(1, len(kept)),
                abstain_unanswerable=sum(_withheld(o, t).abstained for o in unanswerable) / max(1, len(unanswerable)),
                false_abstain=sum(o.abstained for _, o in kept) / max(1, len(kept)),
            )
        )
    return rows


@dataclass(frozen=True, slots=True)
class ReliabilityBin:
    low: float
    high: float
    answers: int
    correct: int
    mean_confidence: float | None

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.answers if self.answers else None


def reliability_table(
    questions: Sequence[Question], outcomes: Sequence[AskOutcome], edges: Sequence[float]
) -> list[ReliabilityBin]:
    """Given answers binned by confidence (``edges[i] <= c < edges[i+1]``, the last bin closed)."""
    confidences, correct = answered_scores(questions, outcomes)
    return reliability_bins(confidences, correct, edges)


def reliability_bins(
    confidences: Sequence[float], correct: Sequence[bool], edges: Sequence[float]
) -> list[ReliabilityBin]:
    """Answers (their confidence, whether right) binned as ``reliability_table`` does."""
    answered = list(zip(confidences, correct, strict=True))
    bins = []
    for index, (low, high) in enumerate(pairwise(edges)):
        last = index == len(edges) - 2
        inside = [(c, ok) for c, ok in answered if low <= c < high or (last and c == high)]
        bins.append(
            ReliabilityBin(
                low=low,
                high=high,
                answers=len(inside),
                correct=sum(ok for _, ok in inside),
                mean_confidence=sum(c for c, _ in inside) / len(inside) if inside else None,
            )
        )
    return bins


def expected_calibration_error(bins: Sequence[ReliabilityBin]) -> float:
    """The answer-weighted mean gap between confidence and accuracy over the bins."""
    total = sum(b.answers for b in bins)
    return (
        sum(b.answers * abs((b.mean_confidence or 0.0) - (b.accuracy or 0.0)) for b in bins) / total if total else 0.0
    )


def render_reliability(bins: Sequence[ReliabilityBin]) -> str:
    lines = ["| confidence | answers | correct | accuracy | mean confidence |", "|---|---:|---:|---:|---:|"]
    for b in bins:
        accuracy = "-" if b.accuracy is None else f"{b.accuracy:.2f}"
        mean = "-" if b.mean_confidence is None else f"{b.mean_confidence:.2f}"
        lines.append(f"| {b.low:.1f}-{b.high:.1f} | {b.answers} | {b.correct} | {accuracy} | {mean} |")
    lines.append(f"\nexpected calibration error: {expected_calibration_error(bins):.3f}")
    return "\n".join(lines)


RELIABILITY_EDGES = (0.0, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 1.0)
_FOLDS = 5


def answered_scores(questions: Sequence[Question], outcomes: Sequence[AskOutcome]) -> tuple[list[float], list[bool]]:
    """Each given answer's confidence and whether it was right (an answer to an unanswerable one is not)."""
    pairs = [
        (o.confidence, q.answerable and answer_correct(o, q.answers))
        for q, o in zip(questions, outcomes, strict=True)
        if not o.abstained and o.confidence is not None
    ]
    return [c for c, _ in pairs], [ok for _, ok in pairs]


def fit_platt(scores: Sequence[float], correct: Sequence[bool], *, l2: float = 0.3) -> Calibration:
    """The logistic curve through (score, right or wrong), by Newton's method.

    ``l2`` penalises the slope: with a hundred answers an unpenalised fit chases the noise of single
    bins. 0.3 had the lowest held-out calibration error of 0, 0.01, 0.1, 0.3 and 1
    (docs/evaluation.md, "Calibration").
    """
    x = np.column_stack([np.asarray(scores, dtype=np.float64), np.ones(len(scores))])
    y = np.asarray(correct, dtype=np.float64)
    penalty = np.diag([l2, 0.0])
    w = np.zeros(2)
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-(x @ w)))
        gradient = x.T @ (p - y) + penalty @ w
        hessian = (x * (p * (1 - p))[:, None]).T @ x + penalty
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if float(np.abs(step).max()) < 1e-10:
            break
    return Calibration(slope=round(float(w[0]), 4), intercept=round(float(w[1]), 4))


def held_out_confidences(scores: Sequence[float], correct: Sequence[bool], *, folds: int = _FOLDS) -> list[float]:
    """Each answer's confidence from a curve fitted on the other folds (answer i is in fold i mod ``folds``)."""
    out = [0.0] * len(scores)
    for fold in range(folds):
        train = [i for i in range(len(scores)) if i % folds != fold]
        curve = fit_platt([scores[i] for i in train], [correct[i] for i in train])
        for i in range(fold, len(scores), folds):
            out[i] = curve(scores[i])
    return out


def main(argv: Sequence[str] | None = None) -> int:
    from eval.archive.prepare import DEFAULT_WORK_DIR, prepare
    from eval.backends.caching import CachingEncoder
    from eval.backends.local import LocalBackend
    from eval.errors import EvalError
    from eval.questions import load_questions
    from indexer.answer.answerer import Answerer
    from indexer.encoders.torch_backend import SentenceTransformerEncoder

    parser = argparse.ArgumentParser(
        prog="python -m eval.tuning.calibration", description="reliability of /ask confidence"
    )
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--index", type=Path, help="an index to ask")
    target.add_argument("--distractors", type=Path, help="the archive-scale index: seeds plus the articles in DIR")
    parser.add_argument("--seeds", type=Path, default=Path("seeds"))
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK_DIR)
    parser.add_argument("--fit", action="store_true", help="refit the confidence curve on these answers")
    args = parser.parse_args(argv)
    try:
        encoder = CachingEncoder(SentenceTransformerEncoder())
        index = args.index
        if args.distractors is not None:
            index = prepare(args.seeds, args.distractors, args.work, encoder, with_seeds_index=False).archive_index
        questions = load_questions()
        backend = LocalBackend.open(index, encoder=encoder)
        # The raw evidence score: the curve is fitted from it and applied to it.
        backend.answerer = Answerer(backend.retriever, calibration=None)
        outcomes = backend.ask([q.question for q in questions])
    except EvalError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    scores, correct = answered_scores(questions, outcomes)
    curve = fit_platt(scores, correct) if args.fit else ARCHIVE_CALIBRATION
    print(f"{index}: {len(scores)} answers to {len(questions)} questions, {sum(correct)} right")
    print("\n## the raw evidence score\n")
    print(render_reliability(reliability_bins(scores, correct, RELIABILITY_EDGES)))
    print(f"\n## the confidence shown (slope {curve.slope}, intercept {curve.intercept})\n")
    print(render_reliability(reliability_bins([curve(s) for s in scores], correct, RELIABILITY_EDGES)))
    held_out_bins = reliability_bins(held_out_confidences(scores, correct), correct, RELIABILITY_EDGES)
    held_out = expected_calibration_error(held_out_bins)
    print(f"\nheld out ({_FOLDS} folds, each answer's confidence from a curve fitted without it): {held_out:.3f}")
    if args.fit:
        print(f"\nfitted: Calibration(slope={curve.slope}, intercept={curve.intercept}) (indexer/answer/answerer.py)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
