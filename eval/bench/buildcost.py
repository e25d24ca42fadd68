"""First-build cost side by side: the build with sentence vectors left lazy, with all of them, and the model's floor.

Each variant runs in a child process of its own (``python -m eval.bench.buildcost VARIANT ...``),
so its peak memory (``ru_maxrss``) is its own; variants alternate round by round, so load
from other processes on the machine falls on all of them alike. The floor is the bare model
encoding the very passages the build makes (chunking untimed). After a build, the child asks
questions: "cold" with an empty sentence cache (a question's candidate passages encoded first),
"warm" the same question again.
"""

from __future__ import annotations

import json
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

VARIANTS = ("floor", "lazy", "build")


@dataclass(slots=True)
class VariantRun:
    variant: str
    seconds: float
    passages: int
    articles: int
    peak_mib: float
    cold_ms: list[float] = field(default_factory=list)
    warm_ms: list[float] = field(default_factory=list)


def _child(variant: str, corpus: Path, work: Path, questions: list[str]) -> dict[str, object]:
    from indexer.answer.answerer import Answerer
    from indexer.build.builder import BuildOptions, build_index, chunk_article, load_encoding, with_language
    from indexer.build.chunking import Chunker
    from indexer.encoders.base import passage_input
    from indexer.encoders.registry import load_encoder
    from indexer.search.retriever import Retriever
    from indexer.search.sentence_vectors import SentenceVectors
    from indexer.sources.articles import read_articles

    encoder = load_encoder(None, backend="onnx", cache_dir=work / "encoder-cache")
    encoder.encode(["warm-up"])
    if variant == "prepare":
        return {}
    articles = list(read_articles(corpus))
    if variant == "floor":
        options = BuildOptions()
        chunker = Chunker(
            load_encoding(options.encoding), chunk_tokens=options.chunk_tokens, overlap_tokens=options.overlap_tokens
        )
        passages = [p for a in map(with_language, articles) for p in chunk_article(a, chunker, encoder)]
        texts = [passage_input(p.title, p.text) for p in passages]
        started = time.perf_counter()
        encoder.encode(texts, batch_size=options.batch_size)
        seconds = time.perf_counter() - started
        result: dict[str, object] = {"seconds": seconds, "passages": len(texts)}
    else:
        out = work / f"index-{variant}"
        shutil.rmtree(out, ignore_errors=True)
        started = time.perf_counter()
        report = build_index(corpus, out, encoder, BuildOptions(sentence_vectors=variant))  # type: ignore[arg-type]
        seconds = time.perf_counter() - started
        retriever = Retriever.open(out, encoder=encoder)
        answerer = Answerer(retriever)
        cold, warm = [], []
        for question in questions:
            # An empty cache for every question: each cold figure is a first asker's.
            for stale in out.glob("sentence-vectors-*"):
                stale.unlink()
            retriever.sentence_store = SentenceVectors(retriever.index, encoder)
            started = time.perf_counter()
            answerer.ask(question)
            cold.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            answerer.ask(question)
            warm.append((time.perf_counter() - started) * 1000)
        result = {"seconds": seconds, "passages": report.passages, "cold_ms": cold, "warm_ms": warm}
    result["articles"] = len(articles)
    result["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def run_buildcost(
    corpus: Path, work: Path, questions: list[str], *, rounds: int, say: Callable[[str], None]
) -> list[VariantRun]:
    """``rounds`` of every variant, alternating; each in a fresh child process."""
    work.mkdir(parents=True, exist_ok=True)
    # The first load of the model exports it to ONNX (torch, a gigabyte): done once, before any measurement.
    _run_child("prepare", corpus, work, [])
    runs: list[VariantRun] = []
    for round_no in range(1, rounds + 1):
        for variant in VARIANTS:
            say(f"round {round_no}/{rounds}: {variant}")
            data = _run_child(variant, corpus, work, questions)
            runs.append(
                VariantRun(
                    variant=variant,
                    seconds=float(data["seconds"]),
                    passages=int(data["passages"]),
                    articles=int(data["articles"]),
                    peak_mib=float(data["peak_mib"]),
                    cold_ms=[float(x) for x in data.get("cold_ms", [])],
                    warm_ms=[float(x) for x in data.get("warm_ms", [])],
                )
            )
    return runs


def _run_child(variant: str, corpus: Path, work: Path, questions: list[str]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "eval.bench.buildcost", variant, str(corpus), str(work), json.dumps(questions)],
        capture_output=True,
        text=True,
        check=True,
    )
    data: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return data


def _pct(values: list[float], q: float) -> str:
    if not values:
        return "-"
    ordered = sorted(values)
    return f"{ordered[min(len(ordered) - 1, int(q * len(ordered)))]:.0f}"


def render_buildcost(runs: list[VariantRun], *, command: str) -> str:
    """The table: per variant, the median over rounds of seconds, passages/s and peak memory, and /ask figures."""
    lines = [
        f"`{command}` (variants alternate, each in its own process; ratios are what to compare)",
        "",
        "| variant | build s (median) | passages/s | vs floor | peak RSS MiB | cold /ask p50 / p99 ms "
        "| warm /ask p50 ms |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    by = {v: [r for r in runs if r.variant == v] for v in VARIANTS}
    floor = statistics.median(r.seconds for r in by["floor"]) if by["floor"] else 0.0
    for variant, group in by.items():
        if not group:
            continue
        seconds = statistics.median(r.seconds for r in group)
        cold = [x for r in group for x in r.cold_ms]
        warm = [x for r in group for x in r.warm_ms]
        lines.append(
            f"| {variant} | {seconds:.1f} | {group[0].passages / seconds:.1f} | "
            f"{seconds / floor:.2f}x | {max(r.peak_mib for r in group):.0f} | "
            f"{_pct(cold, 0.5)} / {_pct(cold, 0.99)} | {_pct(warm, 0.5)} |"
        )
    lines.append(f"\n{runs[0].articles} articles, {runs[0].passages} passages" if runs else "")
    return "\n".join(lines)


if __name__ == "__main__":
    print(json.dumps(_child(sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), json.loads(sys.argv[4]))))
