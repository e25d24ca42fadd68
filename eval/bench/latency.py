"""Sequential HTTP latency next to the floor: one client, one request at a time, interleaved.

For every query the bare model encodes it in this process, then the service answers it over
HTTP, one endpoint after the other: each figure and its floor are taken under the same
background load, a few milliseconds apart, so their ratio survives a noisy machine.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

from eval.bench.http import Connection
from eval.bench.stats import Latency, median_of
from eval.errors import EvalError
from indexer.encoder import Encoder

FLOOR = "floor"


def side_by_side(
    url: str, paths: Sequence[str], queries: Sequence[str], encoder: Encoder, *, passes: int
) -> dict[str, Latency]:
    """Percentiles per pass over ``queries`` for the floor and each path, then medians over passes.

    The service keeps no response cache, so a query repeated in a later pass costs what it
    cost the first time. A warm-up over a few queries (connection, first-call allocations)
    is not counted.
    """
    return asyncio.run(_side_by_side(url, paths, queries, encoder, passes))


async def _side_by_side(
    url: str, paths: Sequence[str], queries: Sequence[str], encoder: Encoder, passes: int
) -> dict[str, Latency]:
    names = [FLOOR, *paths]
    per_pass: dict[str, list[Latency]] = {name: [] for name in names}
    connection = Connection(url)
    try:
        for query in queries[:5]:
            encoder.encode([query])
            for path in paths:
                await _get(connection, path, query)
        for _ in range(passes):
            seconds: dict[str, list[float]] = {name: [] for name in names}
            for query in queries:
                # Blocking on purpose: nothing else runs in this process while the floor is timed.
                started = time.perf_counter()
                encoder.encode([query])
                seconds[FLOOR].append(time.perf_counter() - started)
                for path in paths:
                    started = time.perf_counter()
                    await _get(connection, path, query)
                    seconds[path].append(time.perf_counter() - started)
            for name in names:
                per_pass[name].append(Latency.of(seconds[name]))
    finally:
        await connection.close()
    return {name: median_of(runs) for name, runs in per_pass.items()}


async def _get(connection: Connection, path: str, query: str) -> None:
    status, body = await connection.get(path, {"q": query})
    if status != 200:
        raise EvalError(f"{path} answered {status}: {body[:200].decode('utf-8', 'replace')}")
