"""Sequential HTTP latency next to the floor: one client, one request at a time, interleaved.

For every query the bare model encodes it in this process, then the service answers it over
HTTP, one endpoint after the other: each figure and its floor are taken under the same
background load, a few milliseconds apart, so their ratio survives a noisy machine.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass

from eval.bench.stats import Latency, median_of
from eval.errors import EvalError
from eval.harness.http import Connection
from indexer.encoders.base import Encoder

FLOOR = "floor"


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A named request: ``path`` with ``params`` plus the query as ``q``."""

    name: str
    path: str
    params: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, path: str, **params: str) -> Endpoint:
        suffix = ",".join(f"{k}={v}" for k, v in params.items())
        return cls(f"{path}?{suffix}" if suffix else path, path, tuple(params.items()))


def side_by_side(
    url: str, endpoints: Sequence[Endpoint], queries: Sequence[str], encoder: Encoder, *, passes: int
) -> dict[str, Latency]:
    """Percentiles per pass over ``queries`` for the floor and each path, then medians over passes.

    The service keeps no response cache, so a query repeated in a later pass costs what it
    cost the first time. A warm-up over a few queries (connection, first-call allocations)
    is not counted.
    """
    return asyncio.run(_side_by_side(url, endpoints, queries, encoder, passes))


async def _side_by_side(
    url: str, endpoints: Sequence[Endpoint], queries: Sequence[str], encoder: Encoder, passes: int
) -> dict[str, Latency]:
    names = [FLOOR, *(e.name for e in endpoints)]
    per_pass: dict[str, list[Latency]] = {name: [] for name in names}
    connection = Connection(url)
    try:
        for query in queries[:5]:
            encoder.encode([query])
            for endpoint in endpoints:
                await _get(connection, endpoint, query)
        for _ in range(passes):
            seconds: dict[str, list[float]] = {name: [] for name in names}
            for query in queries:
                # Blocking on purpose: nothing else runs in this process while the floor is timed.
                started = time.perf_counter()
                encoder.encode([query])
                seconds[FLOOR].append(time.perf_counter() - started)
                for endpoint in endpoints:
                    started = time.perf_counter()
                    await _get(connection, endpoint, query)
                    seconds[endpoint.name].append(time.perf_counter() - started)
            for name in names:
                per_pass[name].append(Latency.of(seconds[name]))
    finally:
        await connection.close()
    return {name: median_of(runs) for name, runs in per_pass.items()}


async def _get(connection: Connection, endpoint: Endpoint, query: str) -> None:
    status, body = await connection.get(endpoint.path, {"q": query, **dict(endpoint.params)})
    if status != 200:
        raise EvalError(f"{endpoint.name} answered {status}: {body[:200].decode('utf-8', 'replace')}")
