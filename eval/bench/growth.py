"""How cost grows with the archive: synthetic indexes of 1k, 10k (and 100k) passages, and ANN at up to 1M.

Per size: build time with the packaged model, bytes on disk, the service's memory and cold
start, and sequential latency of dense, keyword and hybrid search over HTTP next to the
floor, plus the retriever alone in this process (query vectors precomputed), which isolates
how the index part of a search grows; then the cost of adding 1 and 10 articles to that
index (seconds, bytes written, share of the index: eval.bench.updates).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from eval.bench import machine
from eval.bench.ann import AnnRow, Shape, compare, uniform_vectors, unit
from eval.bench.corpus import write_corpus
from eval.bench.floor import set_torch_threads
from eval.bench.latency import FLOOR, Endpoint, side_by_side
from eval.bench.queries import eval_questions
from eval.bench.run import prepare_work_dir
from eval.bench.stats import Latency, median
from eval.bench.table import table
from eval.bench.updates import MergeCost, UpdateCost, merge_cost, render_merges, render_updates, update_costs
from eval.harness.server import ServiceProcess, ServiceSettings
from indexer.build.builder import BuildOptions, build_index
from indexer.encoders.torch_backend import SentenceTransformerEncoder
from indexer.models import SEARCH_MODES
from indexer.search.retriever import Retriever
from indexer.store.layout import live_version_dir
from indexer.store.reader import load_index

QUICK_SIZES = (1_000, 10_000)
FULL_SIZES = (1_000, 10_000, 100_000)


@dataclass(slots=True)
class GrowthOptions:
    seeds_dir: Path
    work_dir: Path
    full: bool = False
    torch_threads: int | None = None
    questions: Path | None = None
    sizes: tuple[int, ...] | None = None
    ann_sizes: tuple[int, ...] | None = None
    say: Callable[[str], None] = print


@dataclass(frozen=True, slots=True)
class SizeResult:
    target: int
    passages: int
    sentences: int
    dense_index: str
    build_s: float
    disk_mib: float
    cold_start_s: float
    ready_mib: float
    peak_mib: float
    http: dict[str, Latency]
    retrieval_ms: dict[str, float]
    updates: list[UpdateCost] = field(default_factory=list)
    merge: MergeCost | None = None

    @property
    def floor_ms(self) -> float:
        return self.http[FLOOR].p50


@dataclass(slots=True)
class GrowthResult:
    machine: dict[str, object]
    plan: str
    sizes: list[SizeResult] = field(default_factory=list)
    ann: list[AnnRow] = field(default_factory=list)
    seconds: float = 0.0

    def to_json(self) -> dict[str, object]:
        data = asdict(self)
        data["ann"] = [{**asdict(row), "speedup": row.speedup} for row in self.ann]
        return data


def _disk_mib(directory: Path) -> float:
    return sum(p.stat().st_size for p in directory.rglob("*") if p.is_file()) / (1024 * 1024)


def _retrieval_ms(index_dir: Path, encoder: SentenceTransformerEncoder, questions: list[str]) -> dict[str, float]:
    retriever = Retriever.open(index_dir, encoder=encoder)
    vectors = encoder.encode(questions)
    timings: dict[str, float] = {}
    for mode in SEARCH_MODES:
        seconds = []
        for question, vector in zip(questions, vectors, strict=True):
            started = time.perf_counter()
            retriever.search(retriever.read(question).with_vector(vector), k=10, mode=mode)
            seconds.append(time.perf_counter() - started)
        timings[mode] = median(seconds) * 1000
    return timings


def measure_size(
    target: int, options: GrowthOptions, encoder: SentenceTransformerEncoder, questions: list[str]
) -> SizeResult:
    say = options.say
    corpus, index_dir = options.work_dir / f"corpus-{target}", options.work_dir / f"index-{target}"
    for path in (corpus, index_dir):
        shutil.rmtree(path, ignore_errors=True)
    say(f"growth {target}: writing the synthetic corpus ...")
    write_corpus(options.seeds_dir, corpus, n_passages=target)
    say(f"growth {target}: building the index with the packaged model ...")
    set_torch_threads(machine.usable_cores())  # as `polysearch index` runs
    started = time.perf_counter()
    report = build_index(corpus, index_dir, encoder, BuildOptions())
    build_s = time.perf_counter() - started
    loaded = load_index(index_dir)
    sentences, dense_kind = len(loaded.sentences), loaded.manifest.dense_index
    del loaded
    settings = ServiceSettings(torch_threads=options.torch_threads)
    with ServiceProcess(index_dir, options.work_dir / f"service-{target}.log", settings) as service:
        say(f"growth {target}: the service over HTTP, and the retriever alone in this process ...")
        cold = service.start()
        ready = service.memory_mib() or 0.0
        logged = service.logged_setting("torch_threads")
        threads = options.torch_threads or (logged if isinstance(logged, int) else 1)
        set_torch_threads(threads)
        retrieval = _retrieval_ms(index_dir, encoder, questions)
        endpoints = [Endpoint.of("/search", mode=mode) for mode in SEARCH_MODES] + [Endpoint.of("/ask")]
        http = side_by_side(service.url, endpoints, questions, encoder, passes=3 if options.full else 1)
        peak = service.peak_memory_mib() or 0.0
    disk_mib = _disk_mib(live_version_dir(index_dir))
    say(f"growth {target}: adding 1, then 10 articles ...")
    set_torch_threads(machine.usable_cores())
    updates = update_costs(index_dir, options.seeds_dir, encoder)
    say(f"growth {target}: one article at a time until a merge is due, then the merge ...")
    merge = merge_cost(index_dir, options.seeds_dir, encoder)
    shutil.rmtree(corpus, ignore_errors=True)
    return SizeResult(
        target=target,
        passages=report.passages,
        sentences=sentences,
        dense_index=dense_kind,
        build_s=build_s,
        disk_mib=disk_mib,
        cold_start_s=cold,
        ready_mib=ready,
        peak_mib=peak,
        http=http,
        retrieval_ms=retrieval,
        updates=updates,
        merge=merge,
    )


def ann_study(
    options: GrowthOptions, real_index: Path, encoder: SentenceTransformerEncoder, questions: list[str]
) -> list[AnnRow]:
    """Real embeddings at the largest built size, then shaped and uniform random vectors."""
    say = options.say
    rng = np.random.default_rng(0)
    index = load_index(real_index)
    passages = np.ascontiguousarray(index.embeddings, dtype=np.float32)
    shape = Shape.of(np.concatenate([index.embeddings, index.sentence_embeddings]).astype(np.float32))
    del index
    hnsw_m = (16, 32)
    rows: list[AnnRow] = []
    say(f"ann: real embeddings, {len(passages)} passages, eval questions as queries ...")
    rows += compare("real", passages, unit(encoder.encode(questions)), hnsw_m=hnsw_m)
    sizes = options.ann_sizes or ((100_000, 1_000_000) if options.full else (100_000,))
    for n in sizes:
        say(f"ann: {n} random vectors shaped like the real embeddings ...")
        rows += compare("shaped", shape.sample(n, rng), shape.sample(200, rng), hnsw_m=hnsw_m)
    for n in sizes:
        say(f"ann: {n} uniform random unit vectors (worst case) ...")
        dimension = passages.shape[1]
        rows += compare(
            "uniform", uniform_vectors(n, dimension, rng), uniform_vectors(200, dimension, rng), hnsw_m=(32,)
        )
    return rows


def run_growth(options: GrowthOptions) -> GrowthResult:
    started = time.perf_counter()
    result = GrowthResult(machine=machine.describe(), plan="full" if options.full else "quick")
    options.say(f"machine: {machine.one_line(result.machine)}")
    prepare_work_dir(options.work_dir)
    questions = eval_questions(options.questions)
    encoder = SentenceTransformerEncoder()
    sizes = options.sizes or (FULL_SIZES if options.full else QUICK_SIZES)
    for target in sizes:
        result.sizes.append(measure_size(target, options, encoder, questions))
    result.ann = ann_study(options, options.work_dir / f"index-{max(sizes)}", encoder, questions)
    result.seconds = time.perf_counter() - started
    return result


def render_growth(result: GrowthResult, *, command: str) -> str:
    def ms(latency: Latency) -> str:
        return f"{latency.p50:.1f}"

    rows = [
        [
            f"{s.passages}",
            f"{s.sentences}",
            s.dense_index,
            f"{s.build_s:.0f}",
            f"{s.passages / s.build_s:.0f}",
            f"{s.disk_mib:.1f}",
            f"{s.cold_start_s:.1f}",
            f"{s.ready_mib:.0f} / {s.peak_mib:.0f}",
            f"{s.floor_ms:.1f}",
            *(ms(s.http[f"/search?mode={m}"]) for m in SEARCH_MODES),
            ms(s.http["/ask"]),
            " / ".join(f"{s.retrieval_ms[m]:.2f}" for m in SEARCH_MODES),
        ]
        for s in result.sizes
    ]
    header = [
        "passages",
        "sentences",
        "dense",
        "build s",
        "passages/s",
        "disk MiB",
        "cold start s",
        "RSS ready/peak MiB",
        "floor ms",
        "dense p50",
        "keyword p50",
        "hybrid p50",
        "/ask p50",
        "retriever only d/k/h ms",
    ]
    ann_rows = [
        [
            r.data,
            str(r.n),
            r.index,
            r.params,
            f"{r.build_s:.1f}",
            f"{r.recall_at_10:.3f}",
            f"{r.ms_per_query:.2f}",
            f"{r.speedup:.1f}x",
        ]
        for r in result.ann
    ]
    return "\n".join(
        [
            f"command: {command}",
            f"machine: {machine.one_line(result.machine)}",
            f"plan: {result.plan}; took {result.seconds:.0f} s; latencies are sequential HTTP p50 in ms",
            "",
            table(rows, header=header),
            "",
            "update cost: adding articles to each index (written: files not hard-linked from the previous version):",
            render_updates([u for s in result.sizes for u in s.updates]),
            "",
            "merge cost: one-article updates until a merge was due (more than 8 segments), then the merge:",
            render_merges([s.merge for s in result.sizes if s.merge is not None]),
            "",
            "approximate dense search (one query at a time, depth 100, recall@10 against exact):",
            table(
                ann_rows, header=["data", "vectors", "index", "params", "build s", "recall@10", "ms/query", "speedup"]
            ),
        ]
    )
