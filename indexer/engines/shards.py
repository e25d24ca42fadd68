"""Dense search split over shards of contiguous rows, merged exactly into one top-k.

Each shard is an exact (flat) index over its own rows, so the union of the shards' top-k
holds the global top-k; sorting that union by (score, row) gives what one flat index over
every row gives. Keyword search is not sharded: BM25 statistics (document frequencies,
average length) must be global or the ranking changes, so one keyword index serves all.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from indexer.encoders.base import Vectors
from indexer.errors import EngineError
from indexer.store.dense import DenseIndex

Rows = npt.NDArray[np.int64]
Scores = npt.NDArray[np.float32]


class Pending(Protocol):
    """A shard's answer on its way (a Ray Serve ``DeploymentResponse`` is one)."""

    def result(self) -> tuple[Scores, Rows]: ...


class ShardSearch(Protocol):
    """One shard: top-``k`` (scores, rows local to the shard), restricted to ``allowed`` local rows.

    ``submit`` returns at once, so every shard searches at the same time.
    """

    def submit(self, query: Vectors, k: int, allowed: Rows | None) -> Pending: ...


@dataclass(frozen=True, slots=True)
class Done:
    """An answer computed in this process."""

    value: tuple[Scores, Rows]

    def result(self) -> tuple[Scores, Rows]:
        return self.value


@dataclass(frozen=True, slots=True)
class ShardRange:
    """Rows ``[start, stop)`` of the index live in this shard."""

    start: int
    stop: int


def shard_ranges(n_rows: int, shards: int) -> list[ShardRange]:
    """``shards`` contiguous ranges covering ``n_rows`` rows, sizes differing by at most one."""
    if shards < 1:
        raise EngineError(f"shards must be at least 1, got {shards}")
    bounds = np.linspace(0, n_rows, shards + 1).round().astype(int)
    return [ShardRange(int(a), int(b)) for a, b in itertools.pairwise(bounds)]


class LocalShard:
    """A flat index over one range of rows, in this process (what each shard deployment holds)."""

    def __init__(self, vectors: Vectors) -> None:
        self.index = DenseIndex.build(np.ascontiguousarray(vectors, dtype=np.float32), kind="flat")

    def search(self, query: Vectors, k: int, allowed: Rows | None) -> tuple[Scores, Rows]:
        return self.index.search(np.asarray(query, dtype=np.float32), k, allowed=allowed)

    def submit(self, query: Vectors, k: int, allowed: Rows | None) -> Pending:
        return Done(self.search(query, k, allowed))


def merge_top_k(results: Sequence[tuple[Scores, Rows]], k: int) -> tuple[Scores, Rows]:
    """The best ``k`` of the shards' (scores, global rows), ties broken by the lower row."""
    scores = np.concatenate([np.zeros(0, dtype=np.float32), *(s for s, _ in results)]).astype(np.float32)
    rows = np.concatenate([np.zeros(0, dtype=np.int64), *(r for _, r in results)]).astype(np.int64)
    order = np.lexsort((rows, -scores))[:k]
    return scores[order], rows[order]


class ShardedDense:
    """The ``DenseIndex.search`` contract over shards; the retriever cannot tell the difference."""

    def __init__(self, shards: Sequence[ShardSearch], ranges: Sequence[ShardRange], *, dimension: int) -> None:
        if len(shards) != len(ranges):
            raise EngineError(f"{len(shards)} shards for {len(ranges)} row ranges")
        self.shards = list(shards)
        self.ranges = list(ranges)
        self.kind = "flat"
        self.dimension = dimension

    @classmethod
    def in_process(cls, vectors: Vectors, shards: int) -> ShardedDense:
        ranges = shard_ranges(len(vectors), shards)
        return cls([LocalShard(vectors[r.start : r.stop]) for r in ranges], ranges, dimension=vectors.shape[1])

    @property
    def size(self) -> int:
        return self.ranges[-1].stop if self.ranges else 0

    def search(self, query: Vectors, k: int, *, allowed: Rows | None = None) -> tuple[Scores, Rows]:
        pending: list[tuple[Pending, int]] = []
        for shard, rows in zip(self.shards, self.ranges):
            local: Rows | None = None
            if allowed is not None:
                inside = allowed[(allowed >= rows.start) & (allowed < rows.stop)]
                if len(inside) == 0:
                    continue
                local = (inside - rows.start).astype(np.int64)
            pending.append((shard.submit(query, k, local), rows.start))
        results = []
        for answer, start in pending:
            scores, found = answer.result()
            results.append((np.asarray(scores, dtype=np.float32), np.asarray(found, dtype=np.int64) + start))
        return merge_top_k(results, k)
