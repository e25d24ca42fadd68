"""What batching queries saves the model: ms per query at batch 1, 4 and 16, at each thread count.

The service batches concurrent queries into one model call (``service/batching.py``). Under
load that can only raise throughput as far as a batched call is cheaper per query than a lone
one; a lone query, when the machine is idle, runs on every core. Both bounds are measured here
on the same encoder, the evaluation questions, and variants alternated round by round:

    python -m eval.bench.query_batching [--backend onnx] [--rounds 3]

It prints, per thread count, the median ms per query at each batch size and how many times
cheaper per query batch 16 is than batch 1; then the least a question could cost at one core's
float32 matrix-product peak (``eval.bench.roofline``), which bounds any batching.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from eval.bench import machine
from eval.bench.queries import eval_questions
from eval.bench.roofline import PEAK_ROWS, TransformerShape, model_tokens, sgemm_peak
from eval.bench.stats import median
from eval.bench.table import table
from indexer.encoders.base import Encoder, resolve_model

BATCHES = (1, 4, 16)


def ms_per_query(encoder: Encoder, questions: Sequence[str], batch: int) -> float:
    started = time.perf_counter()
    for start in range(0, len(questions), batch):
        encoder.encode(list(questions[start : start + batch]))
    return (time.perf_counter() - started) * 1000 / len(questions)


def peak_ms_per_query(encoder: Encoder, questions: Sequence[str], shape: TransformerShape, peak: float) -> float:
    """The least ms a question could cost on hardware doing ``peak`` FLOP/s: its matrix products, unpadded."""
    return sum(shape.flops(model_tokens(encoder, q)) for q in questions) / peak * 1000 / len(questions)


def measure(encoders: dict[int, Encoder], questions: Sequence[str], rounds: int) -> dict[tuple[int, int], float]:
    """Median ms per query for each (threads, batch), every variant once per round, order reversed each round."""
    variants = [(threads, batch) for threads in encoders for batch in BATCHES]
    timings: dict[tuple[int, int], list[float]] = {v: [] for v in variants}
    for round_number in range(rounds):
        for threads, batch in variants if round_number % 2 == 0 else reversed(variants):
            timings[(threads, batch)].append(ms_per_query(encoders[threads], questions, batch))
    return {v: median(t) for v, t in timings.items()}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--backend", default="onnx", help="encoder backend (onnx, onnx-int8, torch-bf16)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    from indexer.encoders.registry import encoder_cache_dir, load_encoder

    questions = eval_questions()
    cores = machine.usable_cores()
    with tempfile.TemporaryDirectory() as scratch:
        cache = encoder_cache_dir(Path(scratch))
        encoders = {
            t: load_encoder(None, backend=args.backend, cache_dir=cache, threads=t) for t in range(1, cores + 1)
        }
        for encoder in encoders.values():
            encoder.encode(questions[:16])  # sessions warmed up before timing
        result = measure(encoders, questions, args.rounds)
    rows = [
        [
            str(threads),
            *(f"{result[(threads, b)]:.2f}" for b in BATCHES),
            f"{result[(threads, 1)] / result[(threads, 16)]:.2f}x",
        ]
        for threads in encoders
    ]
    print(f"{args.backend}, {len(questions)} questions, {args.rounds} rounds; load {os.getloadavg()[0]:.2f}")
    print(table(rows, header=["threads", *(f"batch {b} ms/query" for b in BATCHES), "batch 16 vs 1"]))
    # However well batched, a question costs at least its matrix products at one core's peak.
    shape = TransformerShape.of_model(resolve_model(None)[1])
    peak = sgemm_peak(1, rows=PEAK_ROWS, inner=shape.hidden, outer=shape.intermediate)
    floor = peak_ms_per_query(encoders[1], questions, shape, peak)
    lone = result[(cores, 1)]
    print(
        f"at one core's sgemm peak ({peak / 1e9:.1f} GFLOP/s) with no padding a question costs at least "
        f"{floor:.2f} ms: {cores} cores could encode at most {cores * 1000 / floor:.0f} questions/s, "
        f"{cores * lone / floor:.2f}x a lone query on {cores} threads ({lone:.2f} ms)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
