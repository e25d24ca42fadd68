"""The load generator: N concurrent asyncio HTTP clients, run as its own process.

Run by the benchmark as ``python -m eval.bench.loadgen ...``; it prints one JSON object.
Each client owns one keep-alive connection (see ``eval.bench.http``), as wrk's do.
A separate process keeps the client's own Python work out of the service's interpreter and
out of the benchmark's timing code. Every request sends a query no earlier request of the
run sent, so nothing a cache could do would flatter the figures; the run is bounded both by
time and by the number of queries it was given.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

from eval.harness.http import Connection, HttpError


@dataclass(slots=True)
class LoadResult:
    concurrency: int
    requests: int = 0
    errors: int = 0
    # Of the errors, the service's fast "at capacity" replies (HTTP 503 "overloaded"): what it is
    # meant to answer past its capacity, told apart from failures.
    overloaded: int = 0
    seconds: float = 0.0
    latencies_s: list[float] = field(default_factory=list)
    error_samples: list[str] = field(default_factory=list)
    exhausted: bool = False

    @property
    def requests_per_s(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0


async def run_load(
    url: str,
    path: str,
    queries: Sequence[str],
    *,
    concurrency: int,
    duration_s: float,
    param: str = "q",
) -> LoadResult:
    """Send each query once, ``concurrency`` at a time, until ``duration_s`` or the queries run out."""
    result = LoadResult(concurrency=concurrency)
    position = 0

    def next_query() -> str | None:
        nonlocal position
        if position >= len(queries):
            return None
        position += 1
        return queries[position - 1]

    connections = [Connection(url) for _ in range(concurrency)]
    # Open every connection (and warm the service) before the clock starts.
    warm = [(c, q) for c, q in ((c, next_query()) for c in connections) if q is not None]
    await asyncio.gather(*(c.get(path, {param: q}) for c, q in warm))
    deadline = time.perf_counter() + duration_s

    async def client_loop(connection: Connection) -> None:
        while time.perf_counter() < deadline:
            query = next_query()
            if query is None:
                result.exhausted = True
                return
            sent = time.perf_counter()
            status, body = 0, b""
            try:
                status, body = await connection.get(path, {param: query})
                ok, problem = status == 200, f"HTTP {status}: {body[:200].decode('utf-8', 'replace')}"
            except HttpError as exc:
                ok, problem = False, str(exc)
            result.latencies_s.append(time.perf_counter() - sent)
            result.requests += 1
            if not ok:
                result.errors += 1
                if status == 503 and b'"overloaded"' in body:
                    result.overloaded += 1
                if len(result.error_samples) < 5:
                    result.error_samples.append(problem)

    started = time.perf_counter()
    try:
        await asyncio.gather(*(client_loop(c) for c in connections))
    finally:
        result.seconds = time.perf_counter() - started
        await asyncio.gather(*(c.close() for c in connections))
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.bench.loadgen")
    parser.add_argument("--url", required=True)
    parser.add_argument("--path", required=True)
    parser.add_argument("--queries", required=True, help="JSON file: a list of query strings")
    parser.add_argument("--concurrency", type=int, required=True)
    parser.add_argument("--duration", type=float, required=True)
    args = parser.parse_args(argv)
    with open(args.queries, encoding="utf-8") as handle:
        queries = [str(q) for q in json.load(handle)]
    result = asyncio.run(run_load(args.url, args.path, queries, concurrency=args.concurrency, duration_s=args.duration))
    json.dump(asdict(result), sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
