"""Throughput under concurrency, driven by the load generator in a separate process."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from eval.bench.stats import Latency, median
from eval.errors import EvalError


@dataclass(frozen=True, slots=True)
class LoadLevel:
    concurrency: int
    requests: int
    errors: int
    requests_per_s: float
    latency: Latency
    error_samples: tuple[str, ...]
    exhausted: bool
    # Of ``errors``, fast HTTP 503 "overloaded" replies (the service past its capacity).
    overloaded: int = 0


def run_level(
    url: str, path: str, queries: Sequence[str], work_dir: Path, *, concurrency: int, duration_s: float
) -> LoadLevel:
    """One load run at ``concurrency`` clients; ``queries`` are used once each."""
    work_dir.mkdir(parents=True, exist_ok=True)
    queries_file = work_dir / f"queries-{concurrency}.json"
    queries_file.write_text(json.dumps(list(queries)), encoding="utf-8")
    command = [
        sys.executable,
        "-m",
        "eval.bench.loadgen",
        "--url",
        url,
        "--path",
        path,
        "--queries",
        str(queries_file),
        "--concurrency",
        str(concurrency),
        "--duration",
        str(duration_s),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=duration_s + 300)
    if done.returncode != 0:
        raise EvalError(f"the load generator failed: {done.stderr.strip()[-500:]}")
    raw = json.loads(done.stdout)
    latencies = raw["latencies_s"]
    return LoadLevel(
        concurrency=concurrency,
        requests=raw["requests"],
        errors=raw["errors"],
        requests_per_s=raw["requests"] / raw["seconds"] if raw["seconds"] > 0 else 0.0,
        latency=Latency.of(latencies) if latencies else Latency(0, 0.0, 0.0, 0.0, 0.0),
        error_samples=tuple(raw["error_samples"]),
        exhausted=raw["exhausted"],
        overloaded=raw.get("overloaded", 0),
    )


def median_level(runs: Sequence[LoadLevel]) -> LoadLevel:
    """Median throughput and p99 over repetitions at one concurrency; errors are summed, never hidden."""
    ordered = sorted(runs, key=lambda r: r.requests_per_s)
    middle = ordered[len(ordered) // 2]
    return LoadLevel(
        concurrency=middle.concurrency,
        requests=sum(r.requests for r in runs),
        errors=sum(r.errors for r in runs),
        requests_per_s=median([r.requests_per_s for r in runs]),
        latency=Latency(
            n=sum(r.latency.n for r in runs),
            p50=median([r.latency.p50 for r in runs]),
            p95=median([r.latency.p95 for r in runs]),
            p99=median([r.latency.p99 for r in runs]),
            mean=median([r.latency.mean for r in runs]),
        ),
        error_samples=tuple(s for r in runs for s in r.error_samples)[:5],
        exhausted=any(r.exhausted for r in runs),
        overloaded=sum(r.overloaded for r in runs),
    )
