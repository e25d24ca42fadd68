"""Indexing throughput: the build pipeline against the bare model encoding the very same texts."""

from __future__ import annotations

import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from eval.bench.server import polysearch_command
from eval.bench.stats import median
from indexer.builder import BuildOptions, build_index
from indexer.encoder import Encoder, passage_input
from indexer.store import load_index


@dataclass(frozen=True, slots=True)
class IndexingResult:
    """Rates in passages per second; ``texts`` is what each side encoded (passages and sentences)."""

    passages: int
    texts: int
    repetitions: int
    build_per_s: float
    bare_per_s: float
    cli_seconds: float | None

    @property
    def ratio(self) -> float:
        return self.build_per_s / self.bare_per_s if self.bare_per_s > 0 else 0.0

    @property
    def cli_per_s(self) -> float | None:
        return self.passages / self.cli_seconds if self.cli_seconds else None


def measure_indexing(
    seeds_dir: Path, work_dir: Path, encoder: Encoder, *, repetitions: int, batch_size: int = 64, run_cli: bool = True
) -> IndexingResult:
    """Alternate full builds (what ``polysearch index`` runs, model already loaded) and bare encodes.

    The bare side is one ``encode`` call over exactly the texts the build encoded, at the same
    batch size: the ratio is what chunking, tokenising for length checks and writing cost.

    Alternating puts both under the same background noise; each build starts from an empty
    directory so nothing is reused. The CLI run adds what a user also waits for: interpreter
    start, imports and loading the model.
    """
    builds, bares = [], []
    passages = 0
    texts: list[str] = []
    for repetition in range(repetitions):
        out = work_dir / f"build-{repetition}"
        shutil.rmtree(out, ignore_errors=True)
        started = time.perf_counter()
        report = build_index(seeds_dir, out, encoder, BuildOptions(batch_size=batch_size))
        builds.append(time.perf_counter() - started)
        passages = report.passages
        texts = encoded_texts(out)
        started = time.perf_counter()
        encoder.encode(texts, batch_size=batch_size)
        bares.append(time.perf_counter() - started)
        shutil.rmtree(out, ignore_errors=True)
    cli_seconds = _cli_seconds(seeds_dir, work_dir / "build-cli", batch_size) if run_cli else None
    return IndexingResult(
        passages=passages,
        texts=len(texts),
        repetitions=repetitions,
        build_per_s=passages / median(builds),
        bare_per_s=passages / median(bares),
        cli_seconds=cli_seconds,
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
