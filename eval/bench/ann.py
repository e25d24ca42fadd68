"""Approximate dense search (FAISS HNSW and IVF) against exact search: recall@10, latency, build time.

Three kinds of vectors, because recall depends on the data more than on the index:

- ``real``: passage embeddings of a synthetic archive made by the packaged model, queried with
  the eval questions' embeddings: what the service actually searches;
- ``shaped``: random vectors with the mean and covariance of those real embeddings, for sizes
  no real index here reaches (up to 1M);
- ``uniform``: random unit vectors, the adversarial case (no structure to exploit).

Queries are searched one at a time, as the service does, asking for ``depth`` = 100 neighbours
(the retriever's fusion depth); recall@10 compares their first ten with the exact first ten.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import faiss
import numpy as np
import numpy.typing as npt

from eval.bench.stats import median

Array = npt.NDArray[np.float32]
DEPTH = 100
HNSW_EF_SEARCH = (128, 256, 512)
IVF_NPROBE = (8, 16, 32, 64)


@dataclass(frozen=True, slots=True)
class AnnRow:
    data: str
    n: int
    index: str
    params: str
    build_s: float
    recall_at_10: float
    ms_per_query: float
    flat_ms_per_query: float

    @property
    def speedup(self) -> float:
        return self.flat_ms_per_query / self.ms_per_query if self.ms_per_query > 0 else 0.0


def unit(rows: Array) -> Array:
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return np.asarray(rows / np.maximum(norms, 1e-12), dtype=np.float32)


def uniform_vectors(n: int, dimension: int, rng: np.random.Generator) -> Array:
    return unit(rng.standard_normal((n, dimension), dtype=np.float32))


@dataclass(frozen=True, slots=True)
class Shape:
    """Mean and a covariance factor of real embeddings: sampling gives vectors with their geometry."""

    mean: Array
    factor: Array

    @classmethod
    def of(cls, embeddings: Array) -> Shape:
        mean = embeddings.mean(axis=0)
        centred = embeddings - mean
        covariance = centred.T @ centred / max(1, len(embeddings) - 1)
        values, vectors = np.linalg.eigh(covariance.astype(np.float64))
        factor = vectors * np.sqrt(np.clip(values, 0.0, None))
        return cls(mean.astype(np.float32), factor.astype(np.float32))

    def sample(self, n: int, rng: np.random.Generator, *, block: int = 100_000) -> Array:
        out = np.empty((n, len(self.mean)), dtype=np.float32)
        for start in range(0, n, block):
            size = min(block, n - start)
            noise = rng.standard_normal((size, len(self.mean)), dtype=np.float32)
            out[start : start + size] = unit(self.mean + noise @ self.factor.T)
        return out


def _per_query_ms(index: faiss.Index, queries: Array, k: int) -> tuple[float, npt.NDArray[np.int64]]:
    rows = np.empty((len(queries), k), dtype=np.int64)
    timings = []
    for i, query in enumerate(queries):
        started = time.perf_counter()
        _, found = index.search(query.reshape(1, -1), k)
        timings.append(time.perf_counter() - started)
        rows[i] = found[0]
    return median(timings) * 1000, rows


def recall_at_10(exact: npt.NDArray[np.int64], approximate: npt.NDArray[np.int64]) -> float:
    """Mean share of the exact top ten found in the approximate top ten."""
    hits = [len(set(e[:10].tolist()) & set(a[:10].tolist())) / 10 for e, a in zip(exact, approximate, strict=True)]
    return float(np.mean(hits)) if hits else 0.0


def compare(
    data: str,
    vectors: Array,
    queries: Array,
    *,
    hnsw_m: Sequence[int] = (32,),
    ef_search: Sequence[int] = HNSW_EF_SEARCH,
    ivf_nprobe: Sequence[int] = IVF_NPROBE,
) -> Iterator[AnnRow]:
    """Exact flat search, then each HNSW and IVF setting, on the same vectors and queries."""
    n, dimension = vectors.shape
    k = min(DEPTH, n)
    started = time.perf_counter()
    flat = faiss.IndexFlatIP(dimension)
    flat.add(vectors)
    flat_build = time.perf_counter() - started
    flat_ms, exact = _per_query_ms(flat, queries, k)
    yield AnnRow(data, n, "flat", "exact", flat_build, 1.0, flat_ms, flat_ms)
    for m in hnsw_m:
        started = time.perf_counter()
        hnsw = faiss.IndexHNSWFlat(dimension, m, faiss.METRIC_INNER_PRODUCT)
        hnsw.hnsw.efConstruction = 80
        hnsw.add(vectors)
        build = time.perf_counter() - started
        for ef in ef_search:
            hnsw.hnsw.efSearch = max(ef, k)
            ms, found = _per_query_ms(hnsw, queries, k)
            yield AnnRow(data, n, "hnsw", f"M={m} efC=80 efSearch={ef}", build, recall_at_10(exact, found), ms, flat_ms)
        del hnsw
    if not ivf_nprobe:
        return
    nlist = max(1, int(4 * np.sqrt(n)))
    started = time.perf_counter()
    quantizer = faiss.IndexFlatIP(dimension)
    ivf = faiss.IndexIVFFlat(quantizer, dimension, nlist, faiss.METRIC_INNER_PRODUCT)
    ivf.train(vectors[np.random.default_rng(0).permutation(n)[: min(n, 256 * nlist)]])
    ivf.add(vectors)
    build = time.perf_counter() - started
    for nprobe in ivf_nprobe:
        ivf.nprobe = nprobe
        ms, found = _per_query_ms(ivf, queries, k)
        yield AnnRow(data, n, "ivf", f"nlist={nlist} nprobe={nprobe}", build, recall_at_10(exact, found), ms, flat_ms)
