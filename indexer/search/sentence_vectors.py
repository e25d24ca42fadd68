"""Sentence vectors by row: stored at build time, or encoded the first time a passage is a candidate and cached.

An index built with ``sentence_vectors="lazy"`` stores an all-zero row for every sentence (a
real, normalised vector never is zero). The first request for such a row encodes the sentence
text exactly as a full build does (the bare sentence, no title), keeps the vector in memory and
appends it to the index's sentence cache (indexer.store.sentence_cache), which every process
serving the index reads, and which later versions reuse for unchanged sentences.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from indexer.encoders.base import Encoder
from indexer.encoders.registry import backend_of
from indexer.store.loaded import LoadedIndex
from indexer.store.sentence_cache import SentenceCache, cache_path, sentence_key

log = logging.getLogger(__name__)


def model_identity(index: LoadedIndex, encoder: Encoder) -> str:
    """What a cached vector must have been made by: the model, its backend and its width."""
    return f"{index.manifest.model.name}|{backend_of(encoder)}|{encoder.dimension}|{encoder.max_seq_length}"


class SentenceVectors:
    """Rows of the index's sentence table to their vectors (float16 as stored); safe to share between threads."""

    def __init__(self, index: LoadedIndex, encoder: Encoder, *, batch_size: int = 64) -> None:
        self.index = index
        self.encoder = encoder
        self.batch_size = batch_size
        self.model = model_identity(index, encoder)
        self.cache = SentenceCache(cache_path(index.directory.parent, self.model), encoder.dimension)
        self._known: dict[bytes, npt.NDArray[np.float16]] = {}
        self._rows: dict[int, npt.NDArray[np.float16]] = {}
        self._lock = threading.Lock()
        self.encoded = 0  # sentences this process encoded (the rest came from the build or the cache)

    def __getitem__(self, rows: npt.NDArray[np.int64] | Sequence[int]) -> npt.NDArray[np.float16]:
        """The vectors of ``rows``, in order; rows the build left empty are filled first."""
        wanted = np.asarray(rows, dtype=np.int64)
        stored = np.asarray(self.index.sentence_embeddings[wanted], dtype=np.float16)
        empty = np.flatnonzero(~stored.any(axis=1)) if len(wanted) else np.zeros(0, np.int64)
        if len(empty):
            stored = np.array(stored)  # a gather of a memory map may be read-only
            filled = self.fill(wanted[empty].tolist())
            stored[empty] = np.stack([filled[int(row)] for row in wanted[empty]])
        return stored

    def text(self, row: int) -> str:
        sentence = self.index.sentences[row]
        return self.index.articles[sentence.article_id].body[sentence.start : sentence.end]

    def fill(self, rows: Sequence[int]) -> dict[int, npt.NDArray[np.float16]]:
        """Vectors of sentence ``rows`` not stored at build time: from memory, the cache, or encoded now."""
        with self._lock:
            missing = sorted({row for row in rows if row not in self._rows})
            if missing:
                self._resolve(missing)
            return {row: self._rows[row] for row in rows}

    def _resolve(self, rows: list[int]) -> None:
        texts = {row: self.text(row) for row in rows}
        keys = {row: sentence_key(self.model, text) for row, text in texts.items()}
        if any(key not in self._known for key in keys.values()):
            # Other processes serving this index may have encoded them meanwhile.
            self._known.update(self.cache.read_new())
        todo = [row for row in rows if keys[row] not in self._known]
        if todo:
            distinct = sorted({texts[row] for row in todo})
            vectors = np.asarray(self.encoder.encode(distinct, batch_size=self.batch_size), dtype=np.float32)
            fresh = {
                sentence_key(self.model, text): vector.astype(np.float16) for text, vector in zip(distinct, vectors)
            }
            self.cache.append(fresh.items())
            self._known.update(fresh)
            self.encoded += len(distinct)
        for row in rows:
            self._rows[row] = self._known[keys[row]]

    def warm(self, rows: npt.NDArray[np.int64] | Sequence[int], *, chunk: int = 256) -> int:
        """Fill ``rows`` the build left empty in chunks, so requests interleave; returns how many were filled now."""
        wanted = np.asarray(rows, dtype=np.int64)
        filled = 0
        for at in range(0, len(wanted), chunk):
            part = wanted[at : at + chunk]
            stored = np.asarray(self.index.sentence_embeddings[part])
            empty = [row for row in part[~stored.any(axis=1)].tolist() if row not in self._rows]
            if empty:
                self.fill(empty)
                filled += len(empty)
        return filled
