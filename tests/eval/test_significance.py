"""The paired randomization test on small cases whose p-values are known exactly."""

from __future__ import annotations

import pytest

from eval.significance import compare, paired_test


def test_identical_systems_are_not_different() -> None:
    assert paired_test([0.5, 1.0, 0.0], [0.5, 1.0, 0.0]) == 1.0
    assert paired_test([], []) == 1.0


def test_exact_enumeration_for_three_questions() -> None:
    # All three differences positive: of the 2**3 sign patterns only "all +" and "all -"
    # are as extreme, so the two-sided p-value is 2/8.
    assert paired_test([1.0, 1.0, 1.0], [0.0, 0.5, 0.0]) == pytest.approx(0.25)


def test_consistent_improvement_over_many_questions_is_significant() -> None:
    system = [1.0] * 30 + [0.5] * 10
    baseline = [0.5] * 30 + [0.5] * 10
    assert paired_test(system, baseline) < 0.001
    # Symmetric and deterministic.
    assert paired_test(baseline, system) == paired_test(system, baseline)


def test_compare_reports_means_and_difference() -> None:
    result = compare("hybrid", [1.0, 0.5], "dense", [0.5, 0.5], metric="mrr@10")
    assert (result.mean_system, result.mean_baseline, result.difference, result.n) == (0.75, 0.5, 0.25, 2)
    assert 0.0 < result.p_value <= 1.0


def test_unequal_lengths_are_refused() -> None:
    with pytest.raises(ValueError, match="equal lengths"):
        paired_test([1.0], [1.0, 0.0])
