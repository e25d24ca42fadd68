"""Indexing throughput: the build pipeline against the bare model, and backend against backend.

``python -m eval.bench.indexing --corpus DIR --work DIR`` builds the same corpus with each
backend in turn, alternating, and prints passages/s (wall and CPU) and each one's ratio to the
first backend (torch, today's reference), with the load averages around the run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from eval.bench.stats import median
from eval.bench.table import table
from eval.harness.server import polysearch_command
from indexer.build.builder import BuildOptions, build_index
from indexer.encoders.base import Encoder, passage_input
from indexer.encoders.registry import backend_of
from indexer.store.reader import load_index


@dataclass(frozen=True, slots=True)
class IndexingResult:
    """Rates in passages per second; ``texts`` is what each side encoded (passages and sentences)."""

    passages: int
    texts: int
    repetitions: int
    build_per_s: float
    bare_per_s: float
    ratio: float
    cli_seconds: float | None
    backend: str = "torch"
    # The same builds with the torch backend, alternating with the ones above (None: not measured).
    baseline_backend: str | None = None
    baseline_per_s: float | None = None
    speedup: float | None = None

    @property
    def cli_per_s(self) -> float | None:
        return self.passages / self.cli_seconds if self.cli_seconds else None


def measure_indexing(
    seeds_dir: Path,
    work_dir: Path,
    encoder: Encoder,
    *,
    repetitions: int,
    batch_size: int = 64,
    run_cli: bool = True,
    baseline: Encoder | None = None,
) -> IndexingResult:
    """Alternate full builds (what ``polysearch index`` runs, model already loaded) and bare encodes.

    The bare side is one ``encode`` call over exactly the texts the build encoded, at the same
    batch size: the ratio is what chunking, tokenising for length checks and writing cost.
    Each repetition times both, in alternating order, so they share the background noise;
    the ratio is the median of the per-repetition ratios. Every build starts from an empty
    directory so nothing is reused. With a ``baseline`` encoder (another backend) each
    repetition also builds with it, in the same alternation: ``speedup`` is the median of
    baseline build time over build time. The CLI run adds what a user also waits for: interpreter
    start, imports and loading the model.
    """
    builds: list[float] = []
    bares: list[float] = []
    baseline_builds: list[float] = []
    passages = 0
    texts: list[str] = []

    def timed_build(model: Encoder, into: list[float]) -> None:
        nonlocal passages, texts
        out = work_dir / "build"
        shutil.rmtree(out, ignore_errors=True)
        started = time.perf_counter()
        passages = build_index(seeds_dir, out, model, BuildOptions(batch_size=batch_size)).passages
        into.append(time.perf_counter() - started)
        texts = texts or encoded_texts(out)
        shutil.rmtree(out, ignore_errors=True)

    def build() -> None:
        timed_build(encoder, builds)

    def build_baseline() -> None:
        if baseline is not None:
            timed_build(baseline, baseline_builds)

    def bare() -> None:
        started = time.perf_counter()
        encoder.encode(texts, batch_size=batch_size)
        bares.append(time.perf_counter() - started)

    for repetition in range(repetitions):
        steps = (build, bare, build_baseline)
        for step in steps if repetition % 2 == 0 else steps[::-1]:
            step()
    cli_seconds = _cli_seconds(seeds_dir, work_dir / "build-cli", batch_size) if run_cli else None
    return IndexingResult(
        passages=passages,
        texts=len(texts),
        repetitions=repetitions,
        build_per_s=passages / median(builds),
        bare_per_s=passages / median(bares),
        ratio=median([b / a for a, b in zip(builds, bares, strict=True)]),
        cli_seconds=cli_seconds,
        backend=backend_of(encoder),
        baseline_backend=backend_of(baseline) if baseline is not None else None,
        baseline_per_s=passages / median(baseline_builds) if baseline_builds else None,
        speedup=median([b / a for a, b in zip(builds, baseline_builds, strict=True)]) if baseline_builds else None,
    )


def encoded_texts(index_dir: Path) -> list[str]:
    """Every text a fresh build of ``index_dir`` encoded: passage inputs, then answer sentences."""
    index = load_index(index_dir)
    texts = [passage_input(p.title, p.text) for p in index.passages]
    texts += [index.articles[s.article_id].body[s.start : s.end] for s in index.sentences]
    return texts


def _cli_seconds(seeds_dir: Path, out: Path, batch_size: int) -> float:
    shutil.rmtree(out, ignore_errors=True)
    command = [
        *polysearch_command(),
        "index",
        "--seeds",
        str(seeds_dir),
        "--out",
        str(out),
        "--batch-size",
        str(batch_size),
        "--quiet",
    ]
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    seconds = time.perf_counter() - started
    shutil.rmtree(out, ignore_errors=True)
    return seconds


@dataclass(slots=True)
class BackendBuilds:
    """One backend's full builds of the corpus: wall and CPU (this process, all threads) seconds."""

    backend: str
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)


def compare_backends(
    corpus: Path, work_dir: Path, encoders: Sequence[Encoder], *, repetitions: int, batch_size: int = 64
) -> tuple[int, list[BackendBuilds]]:
    """Build ``corpus`` from empty with each encoder, ``repetitions`` rounds, order reversed every other round.

    Models are loaded (and ONNX files exported) before the first round, so only builds are timed.
    """
    runs = [BackendBuilds(backend_of(encoder)) for encoder in encoders]
    passages = 0
    for repetition in range(repetitions):
        order = list(zip(encoders, runs, strict=True))
        for encoder, run in order if repetition % 2 == 0 else order[::-1]:
            out = work_dir / "build"
            shutil.rmtree(out, ignore_errors=True)
            wall, cpu = time.perf_counter(), time.process_time()
            passages = build_index(corpus, out, encoder, BuildOptions(batch_size=batch_size)).passages
            run.wall.append(time.perf_counter() - wall)
            run.cpu.append(time.process_time() - cpu)
            shutil.rmtree(out, ignore_errors=True)
        print(f"round {repetition + 1}/{repetitions} done; load {_load()}", file=sys.stderr, flush=True)
    return passages, runs


def render_backends(passages: int, runs: Sequence[BackendBuilds]) -> str:
    """passages/s per backend (median build) and its ratio to the first, as medians of per-round ratios."""
    reference = runs[0]
    rows = [
        [
            run.backend,
            " / ".join(f"{w:.1f}" for w in run.wall),
            f"{passages / median(run.wall):.2f}",
            f"{median([r / w for r, w in zip(reference.wall, run.wall, strict=True)]):.2f}x",
            f"{passages / median(run.cpu):.2f}",
            f"{median([r / c for r, c in zip(reference.cpu, run.cpu, strict=True)]):.2f}x",
        ]
        for run in runs
    ]
    header = ["backend", "build s (each round)", "passages/s", f"vs {reference.backend}", "passages/CPU-s", "CPU vs"]
    return table(rows, header=header)


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--corpus", type=Path, required=True, help="folder of articles to build")
    parser.add_argument("--work", type=Path, required=True, help="scratch directory (its encoders/ cache is kept)")
    parser.add_argument("--backends", default="torch,onnx", help="comma-separated; the first is the reference")
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args(argv)
    from indexer.encoders.registry import load_encoder, parse_backend

    try:
        backends = [parse_backend(name.strip()) for name in args.backends.split(",")]
    except ValueError as exc:
        parser.error(str(exc))
    if args.repetitions < 1:
        parser.error("--repetitions must be at least 1")
    args.work.mkdir(parents=True, exist_ok=True)
    cache = args.work / "encoders"
    encoders = [load_encoder(None, backend=b, cache_dir=cache, notify=print) for b in backends]
    for encoder in encoders:
        encoder.encode(["warm up: load the model and open its session"])
    print(f"load before: {_load()}", flush=True)
    passages, runs = compare_backends(
        args.corpus, args.work, encoders, repetitions=args.repetitions, batch_size=args.batch_size
    )
    print(f"{passages} passages of {args.corpus}, {args.repetitions} rounds, alternating")
    print(render_backends(passages, runs))
    print(f"load after: {_load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
