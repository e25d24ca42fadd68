"""What answer metrics an abstention threshold would give, from one run that never abstains.

Run the answerer with ``min_confidence=0`` so every question gets its best sentence and that
sentence's confidence; abstaining below a threshold ``t`` then changes nothing but which of
those answers are withheld, so every threshold is evaluated exactly from the same run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

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
