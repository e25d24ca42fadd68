"""The physical floor: what the bare model needs to encode one query, in this process."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from eval.bench.stats import median
from indexer.encoders.base import Encoder


@dataclass(frozen=True, slots=True)
class Floor:
    """Median single-query encode time, and what one call over a batch of queries costs."""

    torch_threads: int
    queries: int
    single_ms: float
    batch_size: int
    batch_ms: float

    @property
    def batch_gain(self) -> float:
        """How many times more queries per second one batched call gives than single calls."""
        return self.single_ms * self.batch_size / self.batch_ms if self.batch_ms > 0 else 0.0


def set_torch_threads(threads: int) -> None:
    import torch

    torch.set_num_threads(threads)


def best_threads(encoder: Encoder, questions: Sequence[str], *, cores: int, rounds: int = 3) -> dict[int, float]:
    """Median single-query encode ms at each torch thread count 1..``cores``, counts alternating.

    The floor is the bare model at its best: the thread count that encodes a lone query fastest.
    """
    timings: dict[int, list[float]] = {threads: [] for threads in range(1, cores + 1)}
    sample = list(questions[:24])
    for round_ in range(rounds):
        order = sorted(timings, reverse=round_ % 2 == 1)
        for threads in order:
            set_torch_threads(threads)
            for query in sample:
                started = time.perf_counter()
                encoder.encode([query])
                timings[threads].append(time.perf_counter() - started)
    return {threads: median(values) * 1000 for threads, values in timings.items()}


def batch_ms(encoder: Encoder, questions: Sequence[str], *, batch_size: int) -> float:
    """Median time of one model call over ``batch_size`` different questions."""
    timings = []
    for start in range(0, max(1, len(questions) - batch_size + 1), batch_size):
        chunk = list(questions[start : start + batch_size])
        started = time.perf_counter()
        encoder.encode(chunk, batch_size=len(chunk))
        timings.append(time.perf_counter() - started)
    return median(timings) * 1000
