"""The keyword index: BM25 (bm25s) over terms from the language-aware analyser in indexer.text.analysis."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import bm25s
import numpy as np
import numpy.typing as npt

from indexer.text.analysis import ANALYZER, analyse

__all__ = ["ANALYZER", "KeywordIndex"]


class KeywordIndex:
    """Row ``i`` is passage ``i``, like the dense index, so scores line up by row.

    Texts and queries go through the same ``analyse``; bm25s only counts the terms it is given.
    """

    def __init__(self, retriever: bm25s.BM25, size: int) -> None:
        self._retriever = retriever
        self.size = size

    @classmethod
    def build(cls, texts: Sequence[str]) -> KeywordIndex:
        retriever = bm25s.BM25()
        if texts:
            # A passage with no terms at all (only stopwords) still needs a row.
            retriever.index([analyse(text) for text in texts], show_progress=False)
        return cls(retriever, len(texts))

    @classmethod
    def load(cls, directory: Path, *, size: int) -> KeywordIndex:
        return cls(bm25s.BM25.load(str(directory), mmap=False), size)

    def save(self, directory: Path) -> None:
        self._retriever.save(str(directory))

    def idf(self, term: str) -> float:
        """BM25's inverse document frequency of an analysed term; unseen terms get the maximum.

        An unseen term is the strongest evidence there is: nothing in the corpus mentions it.
        """
        column = self._retriever.vocab_dict.get(term)
        indptr = self._retriever.scores["indptr"]
        df = 0 if column is None else int(indptr[column + 1] - indptr[column])
        return math.log(1.0 + (self.size - df + 0.5) / (df + 0.5))

    def query_terms(self, query: str) -> list[str]:
        """The analysed terms of ``query``, exactly as passages were analysed."""
        return analyse(query)

    def scores(self, query: str) -> npt.NDArray[np.float32]:
        """BM25 score of every passage for ``query`` (zeros when no term is in the vocabulary)."""
        terms = [t for t in self.query_terms(query) if t in self._retriever.vocab_dict]
        if not terms or self.size == 0:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._retriever.get_scores(terms), dtype=np.float32)
