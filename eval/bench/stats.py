"""Percentiles, medians and ratios: the few statistics every figure of the benchmark uses."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) with linear interpolation between closest ranks.

    Same definition as numpy's default ("linear"), written out so it is plain to check.
    """
    if not values:
        raise ValueError("percentile of no values")
    if not 0.0 <= q <= 100.0:
        raise ValueError(f"q must be within [0, 100], got {q}")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100.0
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    fraction = position - low
    return ordered[low] + (ordered[high] - ordered[low]) * fraction


def median(values: Sequence[float]) -> float:
    return percentile(values, 50.0)


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """``numerator / denominator``, or ``None`` when either is unknown or the denominator is zero."""
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator


@dataclass(frozen=True, slots=True)
class Latency:
    """Percentiles of a set of latencies, in milliseconds."""

    n: int
    p50: float
    p95: float
    p99: float
    mean: float

    @classmethod
    def of(cls, seconds: Sequence[float]) -> Latency:
        ms = [s * 1000.0 for s in seconds]
        return cls(
            n=len(ms), p50=percentile(ms, 50), p95=percentile(ms, 95), p99=percentile(ms, 99), mean=sum(ms) / len(ms)
        )


def median_of(runs: Sequence[Latency]) -> Latency:
    """Each field the median over repetitions, so one noisy repetition does not move the figure."""
    if not runs:
        raise ValueError("median of no runs")
    return Latency(
        n=sum(r.n for r in runs),
        p50=median([r.p50 for r in runs]),
        p95=median([r.p95 for r in runs]),
        p99=median([r.p99 for r in runs]),
        mean=median([r.mean for r in runs]),
    )
