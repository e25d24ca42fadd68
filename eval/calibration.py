"""Calibration of the answerer's confidence: abstention thresholds and a reliability table.

Run the answerer with ``min_confidence=0`` so every question gets its best sentence and that
sentence's confidence; abstaining below a threshold ``t`` then changes nothing but which of
those answers are withheld, so every threshold is evaluated exactly from the same run.

The reliability table bins the answers the shipped answerer gives by confidence and shows how
many were right (an answer to an unanswerable question is wrong).
``python -m eval.calibration --distractors DIR`` prints it for the archive-scale index.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

from eval.metrics.answers import answer_correct
from eval.questions import Question
from eval.records import AskOutcome


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
    answered = [
        (o.confidence, q.answerable and answer_correct(o, q.answers))
        for q, o in zip(questions, outcomes, strict=True)
        if not o.abstained and o.confidence is not None
    ]
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


RELIABILITY_EDGES = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 1.0)


def main(argv: Sequence[str] | None = None) -> int:
    from eval.archive import DEFAULT_WORK_DIR, prepare
    from eval.caching import CachingEncoder
    from eval.errors import EvalError
    from eval.local import LocalBackend
    from eval.questions import load_questions
    from indexer.encoder import SentenceTransformerEncoder

    parser = argparse.ArgumentParser(prog="python -m eval.calibration", description="reliability of /ask confidence")
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--index", type=Path, help="an index to ask")
    target.add_argument("--distractors", type=Path, help="the archive-scale index: seeds plus the articles in DIR")
    parser.add_argument("--seeds", type=Path, default=Path("seeds"))
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK_DIR)
    args = parser.parse_args(argv)
    try:
        encoder = CachingEncoder(SentenceTransformerEncoder())
        index = args.index
        if args.distractors is not None:
            index = prepare(args.seeds, args.distractors, args.work, encoder, with_seeds_index=False).archive_index
        questions = load_questions()
        outcomes = LocalBackend.open(index, encoder=encoder).ask([q.question for q in questions])
    except EvalError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{index}: {sum(not o.abstained for o in outcomes)} answers to {len(questions)} questions")
    print(render_reliability(reliability_table(questions, outcomes, RELIABILITY_EDGES)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
