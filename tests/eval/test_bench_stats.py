"""Percentile, median and ratio helpers of the benchmark, on hand-computed examples."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from eval.bench.stats import Latency, median, median_of, percentile, ratio


def test_percentile_interpolates_between_closest_ranks() -> None:
    values = [10.0, 20.0, 30.0, 40.0]
    # position = (n - 1) * q / 100: 0.0, 1.5, 2.97, 3.0
    assert percentile(values, 0) == 10.0
    assert percentile(values, 50) == 25.0
    assert percentile(values, 99) == pytest.approx(30.0 + 0.97 * 10.0)
    assert percentile(values, 100) == 40.0


def test_percentile_ignores_input_order_and_handles_one_value() -> None:
    assert percentile([3.0, 1.0, 2.0], 50) == 2.0
    assert percentile([7.0], 99) == 7.0


@given(st.lists(st.floats(min_value=-1e6, max_value=1e6), min_size=1, max_size=50), st.floats(0, 100))
def test_percentile_agrees_with_numpy_linear(values: list[float], q: float) -> None:
    assert percentile(values, q) == pytest.approx(float(np.percentile(values, q)), rel=1e-9, abs=1e-6)


def test_percentile_rejects_empty_input_and_bad_q() -> None:
    with pytest.raises(ValueError, match="no values"):
        percentile([], 50)
    with pytest.raises(ValueError, match="q must be"):
        percentile([1.0], 101)


def test_median_of_even_count_is_the_midpoint() -> None:
    assert median([4.0, 1.0, 3.0, 2.0]) == 2.5


def test_ratio_is_none_when_it_cannot_be_computed() -> None:
    assert ratio(3.0, 2.0) == 1.5
    assert ratio(None, 2.0) is None
    assert ratio(3.0, None) is None
    assert ratio(3.0, 0.0) is None


def test_latency_is_in_milliseconds() -> None:
    latency = Latency.of([0.010, 0.020, 0.030])
    assert (latency.n, latency.p50, latency.mean) == (3, pytest.approx(20.0), pytest.approx(20.0))
    assert latency.p99 == pytest.approx(29.8)


def test_median_of_runs_takes_each_field_separately_and_counts_every_request() -> None:
    runs = [Latency(10, 1.0, 5.0, 9.0, 2.0), Latency(10, 3.0, 4.0, 7.0, 4.0), Latency(10, 2.0, 6.0, 8.0, 3.0)]
    assert median_of(runs) == Latency(30, 2.0, 5.0, 8.0, 3.0)
