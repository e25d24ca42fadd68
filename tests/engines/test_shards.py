"""Sharded dense search: S shards merged give exactly what one flat index gives (in-process shards)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from indexer.engines.shards import ShardedDense, ShardRange, merge_top_k, shard_ranges
from indexer.errors import EngineError
from indexer.search.retriever import Retriever
from indexer.store.dense import DenseIndex
from indexer.store.reader import load_index
from tests.fakes import FakeEncoder


def _ranked(scores: np.ndarray, rows: np.ndarray) -> list[tuple[float, int]]:
    # faiss orders exact ties arbitrarily, the merge by row: compare in (score, row) order.
    order = np.lexsort((rows, -scores))
    return [(float(scores[i]), int(rows[i])) for i in order]


def test_shard_ranges_cover_every_row_once() -> None:
    assert shard_ranges(10, 3) == [ShardRange(0, 3), ShardRange(3, 7), ShardRange(7, 10)]
    assert shard_ranges(1, 2) == [ShardRange(0, 0), ShardRange(0, 1)]
    with pytest.raises(EngineError):
        shard_ranges(5, 0)


def test_merge_keeps_the_best_k_ties_by_row() -> None:
    a = (np.array([0.9, 0.5], dtype=np.float32), np.array([4, 1], dtype=np.int64))
    b = (np.array([0.5, 0.7], dtype=np.float32), np.array([0, 9], dtype=np.int64))
    scores, rows = merge_top_k([a, b], 3)
    assert rows.tolist() == [4, 9, 0]
    assert scores.tolist() == pytest.approx([0.9, 0.7, 0.5])


@pytest.mark.parametrize("shards", [1, 2, 3, 7])
def test_shards_equal_one_flat_index(shards: int) -> None:
    rng = np.random.default_rng(shards)
    vectors = rng.normal(size=(101, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    flat = DenseIndex.build(vectors, kind="flat")
    sharded = ShardedDense.in_process(vectors, shards)
    assert sharded.size == 101
    allowed = np.arange(3, 101, 4, dtype=np.int64)
    for query in rng.normal(size=(20, 16)).astype(np.float32):
        query /= np.linalg.norm(query)
        for k in (1, 10, 101):
            assert _ranked(*sharded.search(query, k)) == _ranked(*flat.search(query, k))
        assert _ranked(*sharded.search(query, 10, allowed=allowed)) == _ranked(*flat.search(query, 10, allowed=allowed))


def test_retriever_over_two_shards_ranks_as_over_one_index(tiny_index: Path) -> None:
    """Keyword statistics stay global (one BM25 index), so hybrid hits match exactly."""
    index = load_index(tiny_index)
    encoder = FakeEncoder()
    single = Retriever(index, encoder)
    split = Retriever(dataclasses.replace(index, dense=ShardedDense.in_process(index.embeddings, 2)), encoder)  # type: ignore[arg-type]
    for query in ("office in Shanghai", "summit of universities", "delegation Jiangsu internships", "nothing"):
        for mode in ("dense", "hybrid"):
            a = [(h.passage.id, h.score) for h in single.search(query, k=5, mode=mode)]
            b = [(h.passage.id, h.score) for h in split.search(query, k=5, mode=mode)]
            assert a == b
