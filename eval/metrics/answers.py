"""Answer metrics: how often ``ask`` answered correctly, and how often it abstained."""

from __future__ import annotations

from collections.abc import Sequence

from eval.records import AskOutcome
from eval.relevance import contains_answer


def answer_correct(outcome: AskOutcome, answers: Sequence[str]) -> bool:
    """An answer counts when it did not abstain and its text contains one of ``answers``."""
    return not outcome.abstained and outcome.answer is not None and contains_answer(outcome.answer, answers)


def answer_accuracy(outcomes: Sequence[tuple[AskOutcome, Sequence[str]]]) -> float | None:
    """Share of answerable questions answered correctly; ``None`` when there are none."""
    if not outcomes:
        return None
    return sum(answer_correct(outcome, answers) for outcome, answers in outcomes) / len(outcomes)


def abstain_rate(outcomes: Sequence[AskOutcome]) -> float | None:
    """Share of ``outcomes`` that abstained; ``None`` when there are none."""
    if not outcomes:
        return None
    return sum(outcome.abstained for outcome in outcomes) / len(outcomes)
