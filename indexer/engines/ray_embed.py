"""Embedding on a Ray cluster: a Ray Data ``map_batches`` over a pool of model actors.

``RayEncoder`` is an ``Encoder``: the builder chunks locally (token counts come from the local
model's tokenizer) and only ``encode`` goes to the cluster, so the index it feeds to the
writer is built exactly as a local one.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from tqdm import tqdm

from indexer.encoder import Encoder, Vectors
from indexer.engines.batch_plan import length_sorted_batches
from indexer.engines.ray_cluster import connect, import_ray
from indexer.errors import EngineError

log = logging.getLogger(__name__)

EncoderFactory = Callable[[], Encoder]


class _EmbedActor:
    """One model copy on a worker; embeds one planned batch per call, exactly as planned."""

    def __init__(self, factory: EncoderFactory) -> None:
        import ray

        self.encoder = factory()
        self.node = ray.get_runtime_context().get_node_id()

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

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise EngineError(f"workers must be at least 1, got {self.workers}")
        self.name = self.local.name
        self.dimension = self.local.dimension
        self.max_seq_length = self.local.max_seq_length

    def count_tokens(self, text: str) -> int:
        return self.local.count_tokens(text)

    def encode(self, texts: Sequence[str], *, batch_size: int = 64, show_progress: bool = False) -> Vectors:
        if not texts:
            self.last_nodes = []
            return np.zeros((0, self.dimension), dtype=np.float32)
        ray = connect(self.address)
        plan = length_sorted_batches(texts, batch_size)
        items = [{"rows": rows, "texts": [texts[row] for row in rows]} for rows in plan]
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False  # one bar, ours, counted in texts
        dataset = ray.data.from_items(items, override_num_blocks=len(items)).map_batches(
            _EmbedActor,
            fn_constructor_args=(self.factory,),
            batch_size=1,
            batch_format="numpy",
            compute=ray.data.ActorPoolStrategy(size=min(self.workers, len(items))),
            num_cpus=self.cpus_per_worker,
        )
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        nodes = [""] * len(texts)
        done = 0
        with tqdm(total=len(texts), desc="embedding (ray)", unit="text", disable=not show_progress) as bar:
            for batch in dataset.iter_batches(batch_size=None, batch_format="numpy"):
                rows = batch["row"]
                vectors[rows] = batch["vector"]
                for row, node in zip(rows.tolist(), batch["node"].tolist()):
                    nodes[row] = str(node)
                done += len(rows)
                bar.update(len(rows))
        if done != len(texts) or "" in nodes:
            raise EngineError(f"the cluster returned {done} vectors for {len(texts)} texts")
        self.last_nodes = nodes
        log.info("ray_embedded", extra={"texts": len(texts), "batches": len(plan), "nodes": len(set(nodes))})
        return vectors


def cluster_encoder(model: str | None, *, workers: int, address: str | None) -> RayEncoder:
    """The ``--engine ray`` encoder: the local model chunks, each actor loads the same model."""
    from indexer.encoder import SentenceTransformerEncoder

    import_ray()  # a missing extra fails here, before the model loads
    local = SentenceTransformerEncoder(model)
    return RayEncoder(local, functools.partial(SentenceTransformerEncoder, model), workers=workers, address=address)
