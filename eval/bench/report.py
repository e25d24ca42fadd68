"""The benchmark's table: plain text, one figure per cell, ratios beside the raw numbers."""

from __future__ import annotations

from eval.bench import machine
from eval.bench.run import BenchResult
from eval.bench.stats import median, ratio
from eval.bench.table import table


def _x(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}x"


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}"


def render(result: BenchResult, *, command: str) -> str:
    floor = result.floor
    floor_ms = floor.single_ms if floor else None
    parts = [
        f"command: {command}",
        f"machine: {machine.one_line(result.machine)}",
        f"plan: {result.plan}; index {result.index['version']} ({result.index['passages']} passages, "
        f"{result.index.get('backend', 'torch')} encoder backend); "
        f"service torch threads: {result.service_torch_threads}; took {result.seconds:.0f} s",
        "",
    ]
    if floor is not None:
        parts.append(
            f"floor (bare model, one query, {floor.torch_threads} torch thread(s), median of {floor.queries}): "
            f"{floor.single_ms:.1f} ms; a batch of {floor.batch_size} costs {floor.batch_ms:.1f} ms "
            f"({floor.batch_gain:.1f}x the single-query rate)"
        )
        if result.floor_by_threads:
            by_threads = ", ".join(f"{t}: {ms:.1f} ms" for t, ms in sorted(result.floor_by_threads.items()))
            parts.append(f"bare torch, one query, by torch threads (the floor takes the fastest): {by_threads}")
        parts.append("")
    rows = [
        [
            f"/{name}",
            str(lat.n),
            _ms(lat.p50),
            _ms(lat.p95),
            _ms(lat.p99),
            _x(ratio(lat.p50, floor_ms)),
            _x(ratio(lat.p99, floor_ms)),
        ]
        for name, lat in result.sequential.items()
    ]
    parts.append(table(rows, header=["sequential", "requests", "p50 ms", "p95 ms", "p99 ms", "p50/floor", "p99/floor"]))
    if result.load:
        reuse = "some reused across runs" if result.queries_reused else "none repeated"
        parts += ["", f"load: each request a different query ({result.distinct_queries} distinct available; {reuse})"]
    for name, levels in result.load.items():
        base = levels[0].requests_per_s if levels else None
        rows = [
            [
                str(level.concurrency),
                str(level.requests),
                f"{level.requests_per_s:.1f}",
                _x(ratio(level.requests_per_s, base)),
                _ms(level.latency.p50),
                _ms(level.latency.p99),
                f"{level.errors} ({level.overloaded})" if level.overloaded else str(level.errors),
            ]
            for level in levels
        ]
        parts += [
            "",
            table(
                rows,
                header=[
                    f"/{name} clients",
                    "requests",
                    "req/s",
                    "vs 1 client",
                    "p50 ms",
                    "p99 ms",
                    "errors (503 at capacity)",
                ],
            ),
        ]
    if result.cold_start_s:
        parts += [
            "",
            f"cold start (process start to /ready 200), median of {len(result.cold_start_s)}: "
            f"{median(result.cold_start_s):.2f} s; memory when ready {median(result.ready_memory_mib):.0f} MiB, "
            f"peak after the load runs (VmHWM) {_ms(result.peak_memory_mib)} MiB",
        ]
    if result.indexing is not None:
        ix = result.indexing
        cli = (
            f"; `polysearch index` end to end (start, model load, build) {ix.cli_seconds:.1f} s"
            if ix.cli_seconds
            else ""
        )
        parts.append(
            f"indexing {ix.passages} passages ({ix.texts} texts with the answer sentences), median of "
            f"{ix.repetitions}: build {ix.build_per_s:.1f} passages/s, bare encode of the same texts "
            f"{ix.bare_per_s:.1f} passages/s, ratio {ix.ratio:.2f}{cli}"
        )
        if ix.speedup is not None and ix.baseline_per_s is not None:
            parts.append(
                f"indexing backends, same texts, alternating: {ix.backend} {ix.build_per_s:.1f} passages/s, "
                f"{ix.baseline_backend} {ix.baseline_per_s:.1f} passages/s ({ix.speedup:.2f}x)"
            )
    if result.targets:
        rows = [
            [
                t.name,
                _x(t.value) if "errors" not in t.name else f"{t.value:.0f}",
                ("≥ " if t.higher_is_better else "≤ ")
                + (f"{t.limit:g}x" if "errors" not in t.name else f"{t.limit:g}"),
                "met" if t.met else "MISSED",
            ]
            for t in result.targets
        ]
        parts += ["", table(rows, header=["target", "measured", "wanted", ""])]
    return "\n".join(parts)
