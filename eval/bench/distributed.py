"""The distributed row: build throughput locally and on a Ray cluster of 1 and 2 workers, side by side.

Runs inside a network namespace with a two-node cluster on 127.0.0.1 (``run_in_namespace``
re-executes the command there), so nothing leaves the machine. Every build embeds the same
synthetic corpus from an empty directory on the default backend (what ``polysearch index``
and ``polysearch index --engine ray`` run with default options); the three builds alternate
order across repetitions so they share the background noise, and each rate is the median.
"""

from __future__ import annotations

import dataclasses
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from eval.bench.corpus import write_corpus
from eval.bench.stats import median
from indexer.build.builder import BuildOptions, build_index
from indexer.encoders.base import Encoder
from indexer.encoders.registry import DEFAULT_BACKEND, load_encoder
from indexer.errors import BuildError
from indexer.store.reader import load_index

NAMESPACE_FLAG = "POLYSEARCH_BENCH_NAMESPACE"
HEAD_PORT = 6389


@dataclass(frozen=True, slots=True)
class DistributedResult:
    passages: int
    texts: int
    repetitions: int
    local_per_s: float
    ray1_per_s: float
    ray2_per_s: float
    idle_cluster_mib: float
    max_vector_diff: float
    nodes_used_by_2: int
    backend: str = DEFAULT_BACKEND
    # The machine's 1-minute load average before and after the builds (other work shares it).
    load_before: float | None = None
    load_after: float | None = None

    def to_json(self) -> dict[str, object]:
        return asdict(self)


def run_in_namespace(argv: Sequence[str]) -> int:
    """Re-run this command in a new network + PID namespace with only loopback up."""
    script = "ip link set lo up && exec " + shlex.join([sys.executable, "-m", "indexer.commands", *argv])
    env = os.environ | {NAMESPACE_FLAG: "1", "RAY_USAGE_STATS_ENABLED": "0"}
    try:
        return subprocess.run(
            ["unshare", "--net", "--pid", "--fork", "--mount-proc", "bash", "-c", script], env=env
        ).returncode
    except FileNotFoundError as exc:
        raise BuildError("the distributed bench needs `unshare` to make a private network namespace") from exc


def _cluster_pss_mib() -> float:
    """Proportional memory of every process in this PID namespace except this one (the cluster)."""
    total_kib = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) in (1, os.getpid()):
            continue
        try:
            for line in (entry / "smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total_kib += int(line.split()[1])
        except OSError:
            continue
    return total_kib / 1024


def run_distributed(
    seeds_dir: Path, work_dir: Path, *, n_passages: int, repetitions: int, say: Callable[[str], None]
) -> DistributedResult:
    from indexer.engines.ray_cluster import start_local_nodes, stop_local_nodes
    from indexer.engines.ray_embed import cluster_encoder

    if os.environ.get(NAMESPACE_FLAG) != "1":
        raise BuildError("run through `polysearch bench --distributed`, which makes the network namespace")
    corpus = work_dir / "distributed-corpus"
    shutil.rmtree(corpus, ignore_errors=True)
    info = write_corpus(seeds_dir, corpus, n_passages=n_passages)
    say(f"corpus: {info.articles} articles, {info.passages} passages")
    temp = Path(tempfile.mkdtemp(prefix="psbench-", dir="/tmp"))
    try:
        say("starting a two-node Ray cluster on 127.0.0.1 (1 CPU per node)")
        address = start_local_nodes(2, temp_dir=temp, port=HEAD_PORT)
        time.sleep(5)  # let the nodes settle before weighing them
        idle = _cluster_pss_mib()
        cache = work_dir / "distributed-encoders"
        # The ONNX export is made once, here, outside every timed build.
        local = load_encoder(None, backend=DEFAULT_BACKEND, cache_dir=cache)
        ray2 = cluster_encoder(None, workers=2, address=address, cache_dir=cache, backend=DEFAULT_BACKEND)
        # The same model factory and backend, one actor.
        ray1 = dataclasses.replace(ray2, workers=1, last_nodes=[])
        engines: dict[str, Encoder] = {"local": local, "ray1": ray1, "ray2": ray2}
        load_before = os.getloadavg()[0]
        seconds: dict[str, list[float]] = {name: [] for name in engines}
        passages = texts = 0
        vectors: dict[str, np.ndarray] = {}
        for repetition in range(repetitions):
            names = list(engines) if repetition % 2 == 0 else list(reversed(engines))
            for name in names:
                out = work_dir / f"distributed-{name}"
                shutil.rmtree(out, ignore_errors=True)
                say(f"build {repetition + 1}/{repetitions}: {name}")
                started = time.perf_counter()
                report = build_index(corpus, out, engines[name], BuildOptions())
                seconds[name].append(time.perf_counter() - started)
                passages, texts = report.passages, report.encoded + report.sentences_encoded
                vectors[name] = np.asarray(load_index(out).embeddings)
                shutil.rmtree(out, ignore_errors=True)
        diff = max(float(np.abs(vectors[n] - vectors["local"]).max()) for n in ("ray1", "ray2"))
        return DistributedResult(
            passages=passages,
            texts=texts,
            repetitions=repetitions,
            local_per_s=passages / median(seconds["local"]),
            ray1_per_s=passages / median(seconds["ray1"]),
            ray2_per_s=passages / median(seconds["ray2"]),
            idle_cluster_mib=idle,
            max_vector_diff=diff,
            nodes_used_by_2=len(set(ray2.last_nodes)),
            backend=ray2.backend,
            load_before=load_before,
            load_after=os.getloadavg()[0],
        )
    finally:
        stop_local_nodes()
        shutil.rmtree(temp, ignore_errors=True)
        shutil.rmtree(corpus, ignore_errors=True)


def render_distributed(result: DistributedResult, *, command: str) -> str:
    base = result.local_per_s
    rows = [
        ("local (one process, all cores)", result.local_per_s),
        ("ray, 1 worker (1 CPU)", result.ray1_per_s),
        ("ray, 2 workers on 2 nodes (1 CPU each)", result.ray2_per_s),
    ]
    lines = [
        f"# distributed build: {command}",
        f"{result.passages} passages ({result.texts} texts embedded), backend {result.backend}, "
        f"median of {result.repetitions}; load average {_load(result.load_before)} before, "
        f"{_load(result.load_after)} after",
        "",
        "| engine | passages/s | vs local |",
        "|---|---|---|",
        *(f"| {name} | {rate:.1f} | {rate / base:.2f}x |" for name, rate in rows),
        "",
        f"idle two-node cluster (no jobs): {result.idle_cluster_mib:.0f} MiB PSS",
        f"vectors vs local: max |diff| {result.max_vector_diff:.2e}; "
        f"the 2-worker build used {result.nodes_used_by_2} nodes",
    ]
    return "\n".join(lines)


def _load(value: float | None) -> str:
    return "not measured" if value is None else f"{value:.1f}"
