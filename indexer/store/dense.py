"""The dense vector index: FAISS inner-product search over normalised embeddings, stored as float16."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import faiss
import numpy as np
import numpy.typing as npt

from indexer.encoders.base import Vectors

DenseKind = Literal["flat", "hnsw"]
# Chosen by measurement (`polysearch bench --growth`, docs/performance.md "Approximate dense search"). Exact search
# costs ~0.14 ms per 1,000 vectors per query here (14 ms at 100k, the cost of encoding the
# query itself); at 20k it is ~3 ms and HNSW is ~4x faster. M=32 with efSearch=512 kept
# recall@10 >= 0.98 at every size measured (0.996 on real embeddings at 10k, 1.000 at 100k and
# 0.984 at 1M embedding-shaped vectors); efSearch=128 fell to 0.97 at 10k and 0.88 at 1M.
HNSW_THRESHOLD = 20_000
_HNSW_M = 32
_HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 512
_FP16 = faiss.ScalarQuantizer.QT_fp16


def choose_kind(n_vectors: int, *, threshold: int = HNSW_THRESHOLD) -> DenseKind:
    return "hnsw" if n_vectors >= threshold else "flat"


class DenseIndex:
    """Row ``i`` of the index is passage ``i``; scores are cosine similarities."""

    def __init__(self, index: faiss.Index, kind: DenseKind) -> None:
        self._index = index
        self.kind = kind

    @classmethod
    def build(cls, vectors: Vectors, *, kind: DenseKind) -> DenseIndex:
        dimension = vectors.shape[1]
        # Inner product equals cosine similarity because every vector is unit length. Vectors
        # are held as float16 (faiss decodes them with SIMD as it scans): half the memory and
        # disk of float32, and cosines move by < 1e-3, which left every ranking of the
        # question sets unchanged (docs/index-format.md "Vectors").
        index: faiss.Index
        if kind == "hnsw":
            # faiss's stubs type the quantiser argument as a class; the library takes the enum value.
            hnsw = faiss.IndexHNSWSQ(dimension, _FP16, _HNSW_M, faiss.METRIC_INNER_PRODUCT)  # type: ignore[arg-type]
            hnsw.hnsw.efConstruction = _HNSW_EF_CONSTRUCTION
            hnsw.hnsw.efSearch = HNSW_EF_SEARCH
            index = hnsw
        else:
            index = faiss.IndexScalarQuantizer(dimension, _FP16, faiss.METRIC_INNER_PRODUCT)
        if len(vectors):
            index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        return cls(index, kind)

    @classmethod
    def load(cls, path: Path, *, kind: DenseKind) -> DenseIndex:
        # Memory-mapped in place: pages are read when a search touches them, so cold start
        # does not copy the vectors and untouched ones never become resident memory.
        index = faiss.read_index(str(path), faiss.IO_FLAG_MMAP_IFC)
        if kind == "hnsw":
            # A search-time setting: today's value, not the one saved with an older index.
            faiss.ParameterSpace().set_index_parameter(index, "efSearch", HNSW_EF_SEARCH)
        return cls(index, kind)

    def save(self, path: Path) -> None:
        faiss.write_index(self._index, str(path))

    @property
    def size(self) -> int:
        return int(self._index.ntotal)

    @property
    def dimension(self) -> int:
        return int(self._index.d)

    def search(
        self, query: Vectors, k: int, *, allowed: npt.NDArray[np.int64] | None = None
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
        """Top-``k`` (scores, rows) for one query vector, restricted to ``allowed`` rows if given."""
        k = min(k, self.size if allowed is None else len(allowed))
        if k <= 0:
            return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
        params = None
        if allowed is not None:
            # faiss's SWIG classes take attributes rather than typed keyword arguments.
            selector = faiss.IDSelectorBatch(allowed)
            if self.kind == "hnsw":
                params = faiss.SearchParametersHNSW()  # type: ignore[attr-defined]
                params.efSearch = max(HNSW_EF_SEARCH, k)
            else:
                params = faiss.SearchParameters()
            params.sel = selector
        scores, rows = self._index.search(query.reshape(1, -1), k, params=params)
        keep = rows[0] >= 0  # HNSW may return -1 padding when fewer than k are reachable
        return scores[0][keep], rows[0][keep].astype(np.int64)
