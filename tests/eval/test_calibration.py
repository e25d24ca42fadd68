"""Abstention thresholds evaluated from one run that never abstains."""

from __future__ import annotations

import pytest

from eval.questions import Question
from eval.records import AskOutcome
from eval.tuning.calibration import threshold_table
from indexer.answer.answerer import Answerer, Calibration
from indexer.search.retriever import Retriever

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
    from eval.tuning.calibration import expected_calibration_error, reliability_table

    low, high = reliability_table(QUESTIONS, OUTCOMES, [0.4, 0.6, 1.0])
    # 0.45 (unanswerable: wrong) and 0.5 (wrong person) fall low; 0.8 (right) high; the abstention nowhere.
    assert (low.answers, low.correct, low.accuracy) == (2, 0, 0.0)
    assert low.mean_confidence == pytest.approx(0.475)
    assert (high.answers, high.correct, high.accuracy) == (1, 1, 1.0)
    assert expected_calibration_error([low, high]) == pytest.approx((2 * 0.475 + 1 * 0.2) / 3)


def test_the_fitted_curve_recovers_the_odds_it_was_drawn_from() -> None:
    import random

    from eval.tuning.calibration import fit_platt, held_out_confidences

    truth = Calibration(slope=4.0, intercept=-2.0)
    draw = random.Random(7)
    scores = [draw.uniform(0.2, 0.9) for _ in range(4000)]
    correct = [draw.random() < truth(s) for s in scores]
    fitted = fit_platt(scores, correct, l2=0.0)
    assert fitted.slope == pytest.approx(4.0, abs=0.5) and fitted.intercept == pytest.approx(-2.0, abs=0.3)
    # The penalty pulls the slope toward a flat curve, never past it.
    assert 0 < fit_platt(scores, correct, l2=100.0).slope < fitted.slope
    held = held_out_confidences(scores[:50], correct[:50])
    assert len(held) == 50 and all(0 < c < 1 for c in held)


def test_the_answerer_shows_the_curve_of_its_evidence_score(tiny_retriever: Retriever) -> None:
    question = "When did the university open an office in Shanghai?"
    raw = Answerer(tiny_retriever, calibration=None).ask(question).answer
    curve = Calibration(slope=2.0, intercept=-1.0)
    shown = Answerer(tiny_retriever, calibration=curve).ask(question).answer
    assert raw is not None and shown is not None and shown.text == raw.text
    assert shown.confidence == pytest.approx(curve(raw.confidence), abs=1e-4)
