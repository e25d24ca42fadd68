"""Several segments read as one: their vectors and dense indexes in the index's row order."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from indexer.encoders.base import Vectors
from indexer.store.dense import DenseIndex
from indexer.store.segments import VECTOR_DTYPE, Rows, StoredVectors


class SegmentedVectors:
    """Rows of several segments' vectors as one matrix in the index's row order, gathered on demand.

    Row ``i`` is row ``local[i]`` of ``parts[part[i]]``; the parts stay memory-mapped, so only
    the rows a search asks for are read.
    """

    def __init__(self, parts: Sequence[StoredVectors], part: Rows, local: Rows, dimension: int) -> None:
        self.parts = list(parts)
        self._part = part
        self._local = local
        self.shape = (len(part), dimension)
        self.dtype = np.dtype(VECTOR_DTYPE)

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, key: int | slice | Sequence[int] | npt.NDArray[np.integer[Any]]) -> StoredVectors:
        if isinstance(key, (int, np.integer)):
            row = int(key)
            return np.asarray(self.parts[int(self._part[row])][int(self._local[row])])
        rows = np.arange(len(self))[key] if isinstance(key, slice) else np.asarray(key, dtype=np.int64)
        out = np.empty((len(rows), self.shape[1]), dtype=VECTOR_DTYPE)
        part, local = self._part[rows], self._local[rows]
        for index in np.unique(part).tolist():
            chosen = part == index
            out[chosen] = self.parts[index][local[chosen]]
        return out

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> StoredVectors:
        whole = self[np.arange(len(self))]
        return whole if dtype is None else whole.astype(dtype)

    def astype(self, dtype: Any) -> npt.NDArray[Any]:
        return np.asarray(self[np.arange(len(self))]).astype(dtype)


# Up to this many deleted rows in a segment, a search over-fetches and drops them (exact for flat
# search); beyond it, the search is restricted to the live rows by a faiss selector.
_OVERFETCH_DEAD = 4096


class SegmentedDense:
    """Exact union of the segments' dense indexes: each searched for its live rows, results merged."""

    def __init__(self, parts: Sequence[DenseIndex], live: Sequence[Rows], global_rows: Sequence[Rows], size: int):
        # live[p]: the live local rows of part p, sorted; global_rows[p][j]: the index row of live[p][j].
        self.parts = list(parts)
        self._live = list(live)
        self._global = list(global_rows)
        self._dead = []
        for lv, part in zip(self._live, self.parts, strict=True):
            dead = np.ones(part.size, dtype=bool)
            dead[lv] = False
            self._dead.append(dead)
        self._dead_count = [int(dead.sum()) for dead in self._dead]
        self.size = size
        self.kind = "hnsw" if any(p.kind == "hnsw" for p in self.parts) else "flat"
        self._part_of = np.zeros(size, dtype=np.int64)
        self._local_of = np.zeros(size, dtype=np.int64)
        for index, (lv, rows) in enumerate(zip(self._live, self._global, strict=True)):
            self._part_of[rows] = index
            self._local_of[rows] = lv

    @property
    def dimension(self) -> int:
        return self.parts[0].dimension if self.parts else 0

    def search(
        self, query: Vectors, k: int, *, allowed: Rows | None = None
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
        """Top-``k`` (scores, index rows) for one query vector, restricted to ``allowed`` rows if given."""
        scores, rows = [np.zeros(0, np.float32)], [np.zeros(0, np.int64)]
        for index, part in enumerate(self.parts):
            dead, wanted = self._dead_count[index], k
            if allowed is not None:
                local: Rows | None = self._local_of[allowed[self._part_of[allowed] == index]]
            elif dead <= _OVERFETCH_DEAD:
                # A few deleted rows: ask for that many more and drop them, rather than build a
                # selector of every live row for each query.
                local, wanted = None, k + dead
            else:
                local = self._live[index]
            if local is not None and len(local) == 0:
                continue
            found_scores, found = part.search(query, wanted, allowed=local)
            keep = ~self._dead[index][found]
            found_scores, found = found_scores[keep][:k], found[keep][:k]
            position = np.searchsorted(self._live[index], found)
            scores.append(found_scores)
            rows.append(self._global[index][position])
        score, row = np.concatenate(scores), np.concatenate(rows)
        # Ties by row, so the order does not depend on how the archive was split into segments.
        order = np.lexsort((row, -score))[:k]
        return score[order], row[order]
