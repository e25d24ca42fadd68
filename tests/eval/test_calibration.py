"""Abstention thresholds evaluated from one run that never abstains."""

from __future__ import annotations

import pytest

from eval.calibration import threshold_table
from eval.questions import Question
from eval.records import AskOutcome

QUESTIONS = [
    Question(id="a", question="When?", doc_ids=("x",), answers=("2016",)),
    Question(id="b", question="Who?", doc_ids=("x",), answers=("Ivanov",)),
    Question(id="c", question="Weather?"),
    Question(id="d", question="Menu?"),
]
OUTCOMES = [
    AskOutcome(answer="In 2016.", abstained=False, confidence=0.8),
    AskOutcome(answer="Petrov said.", abstained=False, confidence=0.5),
    AskOutcome(answer="Sunny.", abstained=False, confidence=0.45),
    AskOutcome(answer=None, abstained=True, confidence=None),
]


def test_thresholds_by_hand() -> None:
    low, middle, high = threshold_table(QUESTIONS, OUTCOMES, [0.0, 0.5, 0.9])
    assert (low.answer_acc, low.abstain_unanswerable, low.false_abstain) == (0.5, 0.5, 0.0)
    # At 0.5 the unanswerable 0.45 is withheld; the wrong 0.5 answer is still given.
    assert (middle.answer_acc, middle.abstain_unanswerable, middle.false_abstain) == (0.5, 1.0, 0.0)
    assert (high.answer_acc, high.abstain_unanswerable, high.false_abstain) == (0.0, 1.0, 1.0)


def test_lengths_must_match() -> None:
    with pytest.raises(ValueError):
        threshold_table(QUESTIONS, OUTCOMES[:2], [0.5])


def test_reliability_bins_by_hand() -> None:
    from eval.calibration import expected_calibration_error, reliability_table

    low, high = reliability_table(QUESTIONS, OUTCOMES, [0.4, 0.6, 1.0])
    # 0.45 (unanswerable: wrong) and 0.5 (wrong person) fall low; 0.8 (right) high; the abstention nowhere.
    assert (low.answers, low.correct, low.accuracy) == (2, 0, 0.0)
    assert low.mean_confidence == pytest.approx(0.475)
    assert (high.answers, high.correct, high.accuracy) == (1, 1, 1.0)
    assert expected_calibration_error([low, high]) == pytest.approx((2 * 0.475 + 1 * 0.2) / 3)
