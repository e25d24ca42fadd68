"""Judging and summarising: the exact metric keys, over the right questions."""

from __future__ import annotations

import pytest

from eval.questions import Question
from eval.records import AskOutcome, Retrieved
from eval.scoring import METRIC_KEYS, hit_curve, judge, per_question_values, summarize

Q1 = Question(id="q1", question="When?", doc_ids=("a",), answers=("2016",))
Q2 = Question(id="q2", question="Who?", doc_ids=("b",), answers=("Ivanov",))
Q3 = Question(id="q3", question="Weather?")


def _hits(*texts: tuple[str, str]) -> list[Retrieved]:
    return [
        Retrieved(rank=rank, score=1.0 / rank, passage_id=f"{article}#{rank}", article_id=article, text=text)
        for rank, (article, text) in enumerate(texts, start=1)
    ]


def _judged() -> list:  # type: ignore[type-arg]
    yes, no, abstain = (
        AskOutcome(answer="in 2016", abstained=False),
        AskOutcome(answer="Petrov", abstained=False),
        AskOutcome(answer=None, abstained=True),
    )
    return [
        # q1: relevant at rank 2 (rank 1 has the answer but the wrong article).
        judge(Q1, _hits(("b", "2016"), ("a", "in 2016"), ("a", "x")), 1, yes),
        # q2: nothing relevant retrieved, one relevant passage exists.
        judge(Q2, _hits(("b", "Petrov"), ("a", "Ivanov")), 1, no),
        judge(Q3, _hits(("a", "sunny")), 0, abstain),
    ]


def test_summary_has_exactly_the_reported_keys_and_hand_values() -> None:
    metrics = summarize(_judged())
    assert tuple(metrics) == METRIC_KEYS
    assert metrics["hit@1"] == 0.0
    assert metrics["hit@3"] == metrics["hit@10"] == 0.5
    assert metrics["mrr@10"] == pytest.approx(0.25)
    assert metrics["ndcg@10"] == pytest.approx((1 / 1.5849625007211562) / 2)
    assert metrics["answer_acc"] == 0.5
    assert metrics["abstain_unanswerable"] == 1.0
    assert metrics["false_abstain"] == 0.0
    assert (metrics["n_questions"], metrics["n_unanswerable"]) == (3, 1)


def test_answer_metrics_are_none_without_ask_outcomes() -> None:
    judged = [judge(Q1, _hits(("a", "2016")), 1, None)]
    metrics = summarize(judged)
    assert metrics["answer_acc"] is None and metrics["false_abstain"] is None and metrics["hit@1"] == 1.0


def test_curve_and_paired_values_use_answerable_questions_in_order() -> None:
    judged = _judged()
    assert hit_curve(judged, max_k=3) == [0.0, 0.5, 0.5]
    assert per_question_values(judged, "mrr@10") == [0.5, 0.0]


def test_per_question_record() -> None:
    record = _judged()[0].record()
    assert record["retrieved"] == ["b#1", "a#2", "a#3"]
    assert record["relevant_ranks"] == [2] and record["first_relevant_rank"] == 2
    assert record["mrr@10"] == 0.5 and record["answer_correct"] is True
    unanswerable = _judged()[2].record()
    assert "mrr@10" not in unanswerable and unanswerable["abstained"] is True
