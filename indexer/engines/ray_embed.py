"""Embedding on a Ray cluster: a Ray Data ``map_batches`` over a pool of model actors.

``RayEncoder`` is an ``Encoder``: the builder chunks locally (token counts come from the local
model's tokenizer) and only ``encode`` goes to the cluster, so the index it feeds to the
writer is built exactly as a local one. The actors run the local encoder's backend (torch,
onnx or onnx-int8) on the batches that backend would form, so the vectors, and with them the
index version, are a local build's.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from indexer.encoders.base import Encoder, Vectors
from indexer.encoders.registry import DEFAULT_BACKEND, Notify, backend_of
from indexer.engines.batch_plan import planned_batches
from indexer.engines.ray_cluster import connect, import_ray
from indexer.errors import EngineError

log = logging.getLogger(__name__)

EncoderFactory = Callable[[], Encoder]
# How long a job waits for its whole pool of model actors (each loads the model) to start.
WORKERS_START_S = 600


class _EmbedActor:
    """One model copy on a worker; embeds one planned batch per call, exactly as planned."""

    def __init__(self, factory: EncoderFactory) -> None:
        import ray

        # onnxruntime phones home unless this is set before its first import (indexer/encoders/ort.py
        # sets it too); the actor says whether anything imported onnxruntime before that.
        self.telemetry_off = "onnxruntime" not in sys.modules
        os.environ["ORT_DISABLE_TELEMETRY"] = "1"
        self.encoder = factory()
        self.node = ray.get_runtime_context().get_node_id()

    def _telemetry_still_off(self) -> bool:
        return self.telemetry_off and os.environ.get("ORT_DISABLE_TELEMETRY") == "1"

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        rows: list[int] = []
        vectors: list[Vectors] = []
        for batch_rows, texts in zip(batch["rows"], batch["texts"]):
            plain = [str(text) for text in texts]
            # batch_size = the planned batch: the model pads this group and nothing else.
            vectors.append(self.encoder.encode(plain, batch_size=max(1, len(plain))))
            rows.extend(int(row) for row in batch_rows)
        return {
            "row": np.asarray(rows, dtype=np.int64),
            "vector": np.concatenate(vectors).astype(np.float32),
            "node": np.asarray([self.node] * len(rows)),
            "telemetry_off": np.asarray([self._telemetry_still_off()] * len(rows)),
        }


@dataclass
class RayEncoder:
    """An ``Encoder`` whose ``encode`` runs on a Ray cluster; the rest is the local model's.

    ``factory`` builds the model on each actor (it is pickled to the workers, so it must be
    importable there); ``workers`` actors each take ``cpus_per_worker`` CPUs.
    """

    local: Encoder
    factory: EncoderFactory
    workers: int = 2
    cpus_per_worker: float = 1.0
    address: str | None = None
    # Node id of the worker that embedded each text of the last call (tests check the spread).
    last_nodes: list[str] = field(default_factory=list)
    # Whether every actor of the last call had onnxruntime's telemetry off before it was imported.
    last_telemetry_off: bool = True

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise EngineError(f"workers must be at least 1, got {self.workers}")
        self.name = self.local.name
        self.dimension = self.local.dimension
        self.max_seq_length = self.local.max_seq_length
        # Recorded in the manifest (and so in the version): the backend the actors run.
        self.backend = backend_of(self.local)

    def count_tokens(self, text: str) -> int:
        return self.local.count_tokens(text)

    def encode(self, texts: Sequence[str], *, batch_size: int = 64, show_progress: bool = False) -> Vectors:
        if not texts:
            self.last_nodes = []
            return np.zeros((0, self.dimension), dtype=np.float32)
        ray = connect(self.address)
        plan = planned_batches(self.local, texts, batch_size)
        items = [{"rows": rows, "texts": [texts[row] for row in rows]} for rows in plan]
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False  # one bar, ours, counted in texts
        # Start every worker before the first batch is handed out; otherwise the first actor up
        # takes every batch of a small job, and a pool the cluster cannot place waits forever.
        context.wait_for_min_actors_s = WORKERS_START_S
        dataset = ray.data.from_items(items, override_num_blocks=len(items)).map_batches(
            _EmbedActor,
            fn_constructor_args=(self.factory,),
            batch_size=1,
            batch_format="numpy",
            # One batch per actor at a time: otherwise Ray Data queues batches on the actor beside
            # the data (all of it on the driver's node) and a small job never reaches the others.
            compute=ray.data.ActorPoolStrategy(size=min(self.workers, len(items)), max_tasks_in_flight_per_actor=1),
            num_cpus=self.cpus_per_worker,
        )
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        nodes = [""] * len(texts)
        telemetry_off = True
        done = 0
        with (
            tqdm(total=len(texts), desc="embedding (ray)", unit="text", disable=not show_progress) as bar,
            _workers_must_start(ray, self.workers, self.cpus_per_worker),
        ):
            for batch in dataset.iter_batches(batch_size=None, batch_format="numpy"):
                rows = batch["row"]
                vectors[rows] = batch["vector"]
                for row, node in zip(rows.tolist(), batch["node"].tolist()):
                    nodes[row] = str(node)
                telemetry_off = telemetry_off and bool(batch["telemetry_off"].all())
                done += len(rows)
                bar.update(len(rows))
        if done != len(texts) or "" in nodes:
            raise EngineError(f"the cluster returned {done} vectors for {len(texts)} texts")
        self.last_nodes = nodes
        self.last_telemetry_off = telemetry_off
        log.info(
            "ray_embedded",
            extra={
                "texts": len(texts),
                "batches": len(plan),
                "nodes": len(set(nodes)),
                "backend": self.backend,
                "telemetry_off": telemetry_off,
            },
        )
        return vectors


@contextlib.contextmanager
def _workers_must_start(ray: Any, workers: int, cpus: float) -> Iterator[None]:
    try:
        yield
    except ray.exceptions.GetTimeoutError as exc:
        raise EngineError(
            f"the cluster did not start {workers} embedding workers of {cpus:g} CPU each within "
            f"{WORKERS_START_S} s; lower --ray-workers or add nodes"
        ) from exc


def cluster_encoder(
    model: str | None,
    *,
    workers: int,
    address: str | None,
    cache_dir: Path,
    backend: str = DEFAULT_BACKEND,
    cpus_per_worker: float = 1.0,
    notify: Notify | None = None,
) -> RayEncoder:
    """The ``--engine ray`` encoder: the local model chunks, each actor loads the same model and backend.

    An ONNX backend is exported here, once, into ``cache_dir`` (by absolute path) before any
    actor starts; actors on other machines read it there when the path is shared storage, and
    export it into the same path themselves (once per machine) when it is not.
    """
    from indexer.encoders.registry import load_encoder

    import_ray()  # a missing extra fails here, before the model loads
    cache = cache_dir.expanduser().resolve()
    local = load_encoder(model, backend=backend, cache_dir=cache, notify=notify)
    export = getattr(local, "export", None)
    if callable(export):
        export()
    # Each actor holds `cpus_per_worker` CPUs; its ONNX session uses that many threads, not the machine's.
    threads = max(1, round(cpus_per_worker))
    factory = functools.partial(load_encoder, model, backend=backend, cache_dir=cache, threads=threads)
    return RayEncoder(local, factory, workers=workers, cpus_per_worker=cpus_per_worker, address=address)
