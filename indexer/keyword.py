"""The keyword index: BM25 (bm25s) over terms from the language-aware analyser, statistics kept per language.

Each language's passages form their own BM25 part (document count, lengths, document
frequencies): adding a Russian archive does not change how English passages score against
an English query, and a query's terms, which are written in one script, only ever meet the
passages of that script anyway. On disk: ``parts.json`` (part name -> passage rows) and one
bm25s directory per part.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import bm25s
import msgspec
import numpy as np
import numpy.typing as npt
from bm25s.tokenization import Tokenized

from indexer.text.analysis import ANALYZER, analyse, analyse_query
from indexer.text.language import script_of

__all__ = ["ANALYZER", "KeywordIndex"]

PARTS = "parts.json"
# Passages whose language is unknown (indexes of one language, tests) share one part.
_DEFAULT_PART = "all"
_SCRIPT_PART = {"cyrillic": "ru", "han": "zh", "latin": "en"}


class _Part(msgspec.Struct, frozen=True):
    name: str
    rows: list[int]


def _numbered(documents: list[list[str]]) -> Tokenized:
    """The documents' terms as column numbers in sorted term order.

    Given plain terms, bm25s numbers them in set order, which follows the process's hash seed:
    two builds of the same texts would then write different (equally valid) files.
    """
    vocab = {term: column for column, term in enumerate(sorted({t for terms in documents for t in terms}))}
    return Tokenized(ids=[[vocab[term] for term in terms] for terms in documents], vocab=vocab)


class KeywordIndex:
    """Row ``i`` is passage ``i``, like the dense index, so scores line up by row.

    Texts and queries go through the same ``analyse``; bm25s only counts the terms it is given.
    """

    def __init__(self, parts: dict[str, tuple[bm25s.BM25, npt.NDArray[np.int64]]], size: int) -> None:
        self._parts = parts
        self.size = size

    @classmethod
    def build(cls, texts: Sequence[str], langs: Sequence[str | None] | None = None) -> KeywordIndex:
        groups: dict[str, list[int]] = {}
        for row in range(len(texts)):
            lang = langs[row] if langs is not None else None
            groups.setdefault(lang or _DEFAULT_PART, []).append(row)
        parts: dict[str, tuple[bm25s.BM25, npt.NDArray[np.int64]]] = {}
        for name in sorted(groups):
            rows = groups[name]
            retriever = bm25s.BM25()
            # A passage with no terms at all (only stopwords) still needs its row.
            retriever.index(_numbered([analyse(texts[row]) for row in rows]), show_progress=False)
            parts[name] = (retriever, np.array(rows, dtype=np.int64))
        return cls(parts, len(texts))

    @classmethod
    def load(cls, directory: Path, *, size: int) -> KeywordIndex:
        listed = msgspec.json.decode((directory / PARTS).read_bytes(), type=list[_Part])
        parts = {
            part.name: (bm25s.BM25.load(str(directory / part.name), mmap=False), np.array(part.rows, dtype=np.int64))
            for part in listed
        }
        rows = np.concatenate([np.zeros(0, dtype=np.int64), *(r for _, r in parts.values())])
        if len(rows) != size or (size and not np.array_equal(np.sort(rows), np.arange(size))):
            raise ValueError(f"keyword parts hold {len(rows)} rows, not each of the {size} passages once")
        return cls(parts, size)

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        listed = [_Part(name, rows.tolist()) for name, (_, rows) in self._parts.items()]
        (directory / PARTS).write_bytes(msgspec.json.encode(listed))
        for name, (retriever, _) in self._parts.items():
            retriever.save(str(directory / name))

    def _part_for(self, term: str) -> tuple[bm25s.BM25, npt.NDArray[np.int64]] | None:
        name = _SCRIPT_PART.get(script_of(term[0])) if term else None
        return self._parts.get(name) if name else None

    def idf(self, term: str) -> float:
        """BM25's inverse document frequency of an analysed term; unseen terms get the maximum.

        Counted among the passages of the term's own language where the index has them (so an
        English term weighs the same beside a Russian archive as without it), else among all.
        An unseen term is the strongest evidence there is: nothing in the corpus mentions it.
        """
        own = self._part_for(term)
        parts = [own] if own is not None else list(self._parts.values())
        df, n = 0, 0
        for retriever, rows in parts:
            n += len(rows)
            column = retriever.vocab_dict.get(term)
            if column is not None:
                indptr = retriever.scores["indptr"]
                df += int(indptr[column + 1] - indptr[column])
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))

    def query_terms(self, query: str) -> list[str]:
        """The analysed terms of ``query``, exactly as passages were analysed."""
        return analyse(query)

    def scores(self, query: str) -> npt.NDArray[np.float32]:
        """BM25 score of every passage for ``query`` (zeros when no term is in the vocabulary)."""
        result = np.zeros(self.size, dtype=np.float32)
        terms = analyse_query(query)
        for retriever, rows in self._parts.values():
            known = [t for t in terms if t in retriever.vocab_dict]
            if known and len(rows):
                result[rows] = np.asarray(retriever.get_scores(known), dtype=np.float32)
        return result
