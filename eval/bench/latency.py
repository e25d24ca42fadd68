"""Sequential HTTP latency next to the floor: one client, one request at a time, interleaved.

For every query the bare model encodes it in this process, then the service answers it over
HTTP, one endpoint after the other: each figure and its floor are taken under the same
background load, a few milliseconds apart, so their ratio survives a noisy machine.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import httpx

from eval.bench.stats import Latency, median_of
from eval.errors import EvalError
from indexer.encoder import Encoder

FLOOR = "floor"


def side_by_side(
    url: str, paths: Sequence[str], queries: Sequence[str], encoder: Encoder, *, passes: int
) -> dict[str, Latency]:
    """Percentiles per pass over ``queries`` for the floor and each path, then medians over passes.

    The service keeps no response cache, so a query repeated in a later pass costs what it
    cost the first time. A warm-up pass (connection, first-call allocations) is not counted.
    """
    names = [FLOOR, *paths]
    per_pass: dict[str, list[Latency]] = {name: [] for name in names}
    with httpx.Client(base_url=url, timeout=60.0) as client:
        for query in queries[:5]:
            encoder.encode([query])
            for path in paths:
                _get(client, path, query)
        for _ in range(passes):
            seconds: dict[str, list[float]] = {name: [] for name in names}
            for query in queries:
                started = time.perf_counter()
                encoder.encode([query])
                seconds[FLOOR].append(time.perf_counter() - started)
                for path in paths:
                    started = time.perf_counter()
                    _get(client, path, query)
                    seconds[path].append(time.perf_counter() - started)
            for name in names:
                per_pass[name].append(Latency.of(seconds[name]))
    return {name: median_of(runs) for name, runs in per_pass.items()}


def _get(client: httpx.Client, path: str, query: str) -> None:
    response = client.get(path, params={"q": query})
    if response.status_code != 200:
        raise EvalError(f"{path} answered {response.status_code}: {response.text[:200]}")
