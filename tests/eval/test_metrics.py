"""Metrics on tiny hand-computed rankings (True marks a relevant passage)."""

from __future__ import annotations

import math

import pytest

from eval.metrics import abstain_rate, answer_accuracy, hit, ndcg, reciprocal_rank
from eval.records import AskOutcome

RANKING = [False, False, True, False, True]


@pytest.mark.parametrize(("k", "expected"), [(1, 0.0), (2, 0.0), (3, 1.0), (10, 1.0)])
def test_hit(k: int, expected: float) -> None:
    assert hit(RANKING, k) == expected


def test_hit_of_empty_ranking_is_zero() -> None:
    assert hit([], 10) == 0.0


@pytest.mark.parametrize(("ranking", "k", "expected"), [(RANKING, 10, 1 / 3), (RANKING, 2, 0.0), ([True], 1, 1.0)])
def test_reciprocal_rank(ranking: list[bool], k: int, expected: float) -> None:
    assert reciprocal_rank(ranking, k) == pytest.approx(expected)


def test_ndcg_by_hand() -> None:
    # Relevant at ranks 3 and 5, two relevant in all: DCG = 1/log2(4) + 1/log2(6),
    # ideal = 1/log2(2) + 1/log2(3).
    dcg = 1 / 2 + 1 / math.log2(6)
    ideal = 1 + 1 / math.log2(3)
    assert ndcg(RANKING, 2, 10) == pytest.approx(dcg / ideal)
    # A third relevant passage that was never retrieved lowers the score.
    assert ndcg(RANKING, 3, 10) == pytest.approx(dcg / (ideal + 1 / 2))
    # The cutoff drops rank 5.
    assert ndcg(RANKING, 2, 4) == pytest.approx((1 / 2) / ideal)


def test_ndcg_perfect_and_empty() -> None:
    assert ndcg([True, True, False], 2, 10) == pytest.approx(1.0)
    assert ndcg([False, False], 0, 10) == 0.0
    # A pooled judgement that missed a retrieved relevant passage never gives more than 1.
    assert ndcg([True, True], 1, 10) == pytest.approx(1.0)


def test_answer_accuracy_and_abstain_rate() -> None:
    right = AskOutcome(answer="It opened in april  2016.", abstained=False)
    wrong = AskOutcome(answer="It opened in 2017.", abstained=False)
    abstained = AskOutcome(answer=None, abstained=True)
    answers = ["April 2016"]
    assert answer_accuracy([(right, answers), (wrong, answers), (abstained, answers), (right, answers)]) == 0.5
    assert abstain_rate([right, abstained, abstained, wrong]) == 0.5
    assert answer_accuracy([]) is None and abstain_rate([]) is None
    # Text that contains the answer does not count when the system says it abstained.
    assert answer_accuracy([(AskOutcome(answer="April 2016", abstained=True), answers)]) == 0.0


def test_chance_reciprocal_rank_by_hand() -> None:
    from eval.metrics.chance import chance_reciprocal_rank

    # One relevant among four: rank 1..4 equally likely, E[RR] = (1 + 1/2 + 1/3 + 1/4) / 4.
    assert chance_reciprocal_rank(4, 1, 10) == pytest.approx((1 + 1 / 2 + 1 / 3 + 1 / 4) / 4)
    # Cut at k=2: ranks 3 and 4 score 0.
    assert chance_reciprocal_rank(4, 1, 2) == pytest.approx((1 + 1 / 2) / 4)
    # Two relevant among three: first relevant at 1 (p=2/3) or 2 (p=1/3).
    assert chance_reciprocal_rank(3, 2, 10) == pytest.approx(2 / 3 + 1 / 6)
    assert chance_reciprocal_rank(5, 5, 10) == 1.0
    assert chance_reciprocal_rank(5, 0, 10) == 0.0
