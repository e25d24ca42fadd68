"""The keyword index: BM25 (bm25s) over terms from the language-aware analyser, statistics kept per language.

Each language's passages form their own BM25 part (document count, lengths, document
frequencies): adding a Russian archive does not change how English passages score against
an English query, and a query's terms, which are written in one script, only ever meet the
passages of that script anyway. On disk each segment keeps its passages' term counts
(``TermCounts``); the BM25 statistics are computed when an index is loaded, over the live
passages of all segments, so an index built by segments scores exactly like one built at once.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import bm25s
import msgspec
import numpy as np
import numpy.typing as npt
from scipy import sparse

from indexer.text.analysis import ANALYZER, analyse, analyse_query
from indexer.text.language import script_of

__all__ = ["ANALYZER", "KeywordIndex", "TermCounts"]

# Passages whose language is unknown (indexes of one language, tests) share one part.
_DEFAULT_PART = "all"
_SCRIPT_PART = {"cyrillic": "ru", "han": "zh", "latin": "en"}
# BM25's term-frequency saturation and length normalisation: Anserini's defaults (k1 0.9, b 0.4), not
# bm25s's (1.5, 0.75). With 1.5 / 0.75, at archive scale a long passage repeating the archive's topic
# words ("China", "delegation") outscored the one holding the question's rarer words; measured on both
# question sets in eval/README.md ("BM25 parameters"). Scores are computed when the index is loaded,
# from stored term counts, so changing these needs no rebuild.
K1 = 0.9
B = 0.4


VOCAB = "vocab.json"
_TERM_IDS = "term_ids.npy"
_TERM_COUNTS = "term_counts.npy"
_OFFSETS = "offsets.npy"
Int64s = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class TermCounts:
    """Each passage's analysed terms with their counts: what a segment stores for BM25.

    Passage ``i`` holds entries ``offsets[i]:offsets[i + 1]`` of ``term_ids`` (into ``vocab``)
    and ``counts``; its length, as BM25 counts it, is the sum of its counts.
    """

    vocab: list[str]
    term_ids: npt.NDArray[np.int32]
    counts: npt.NDArray[np.int32]
    offsets: Int64s

    @classmethod
    def of(cls, texts: Sequence[str]) -> TermCounts:
        vocab: dict[str, int] = {}
        ids: list[int] = []
        counts: list[int] = []
        offsets = [0]
        for text in texts:
            for term, count in Counter(analyse(text)).items():
                ids.append(vocab.setdefault(term, len(vocab)))
                counts.append(count)
            offsets.append(len(ids))
        return cls(
            list(vocab), np.array(ids, dtype=np.int32), np.array(counts, dtype=np.int32), np.array(offsets, np.int64)
        )

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def entries(self, rows: Int64s) -> tuple[Int64s, Int64s, npt.NDArray[np.int32]]:
        """(position in ``rows``, term id, count) of every entry of the passages ``rows``."""
        sizes = self.offsets[rows + 1] - self.offsets[rows]
        total = int(sizes.sum())
        position = np.repeat(np.arange(len(rows), dtype=np.int64), sizes)
        within = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(sizes) - sizes, sizes)
        flat = self.offsets[rows][position] + within
        return position, self.term_ids[flat].astype(np.int64), self.counts[flat]

    @classmethod
    def combine(cls, segments: Sequence[SegmentTerms], size: int) -> TermCounts:
        """One ``TermCounts`` of ``size`` passages: each segment's ``rows`` placed at its ``global_rows``."""
        vocab: dict[str, int] = {}
        docs, terms, counts = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)], [np.zeros(0, np.int32)]
        for segment in segments:
            mapping = np.array([vocab.setdefault(t, len(vocab)) for t in segment.counts.vocab], dtype=np.int64)
            position, local, count = segment.counts.entries(segment.rows)
            docs.append(segment.global_rows[position])
            terms.append(mapping[local] if len(local) else local)
            counts.append(count)
        doc, term, count = np.concatenate(docs), np.concatenate(terms), np.concatenate(counts)
        # One segment read in row order (most loads) needs no sort.
        if len(doc) > 1 and not bool((doc[1:] >= doc[:-1]).all()):
            order = np.argsort(doc, kind="stable")
            doc, term, count = doc[order], term[order], count[order]
        offsets = np.concatenate([np.zeros(1, np.int64), np.cumsum(np.bincount(doc, minlength=size))])
        return cls(list(vocab), term.astype(np.int32), count.astype(np.int32), offsets)

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        (directory / VOCAB).write_bytes(msgspec.json.encode(self.vocab))
        np.save(directory / _TERM_IDS, self.term_ids, allow_pickle=False)
        np.save(directory / _TERM_COUNTS, self.counts, allow_pickle=False)
        np.save(directory / _OFFSETS, self.offsets, allow_pickle=False)

    @classmethod
    def load(cls, directory: Path, *, size: int) -> TermCounts:
        vocab = msgspec.json.decode((directory / VOCAB).read_bytes(), type=list[str])
        # Mapped: the counts are read to compute BM25 at load and by merges, not kept resident.
        ids = np.load(directory / _TERM_IDS, mmap_mode="r", allow_pickle=False)
        counts = np.load(directory / _TERM_COUNTS, mmap_mode="r", allow_pickle=False)
        offsets = np.load(directory / _OFFSETS, allow_pickle=False)
        if (
            len(offsets) != size + 1
            or ids.shape != counts.shape
            or (size and (offsets[0] != 0 or offsets[-1] != len(ids) or (np.diff(offsets) < 0).any()))
            or (len(ids) and (ids.min() < 0 or ids.max() >= len(vocab) or counts.min() < 1))
        ):
            raise ValueError(f"term counts in {directory} do not describe {size} passages")
        if ids.dtype != np.int32 or counts.dtype != np.int32 or offsets.dtype != np.int64:
            raise ValueError(f"term counts in {directory} have the wrong types")
        return cls(vocab, ids, counts, offsets)


@dataclass(frozen=True, slots=True)
class SegmentTerms:
    """One segment's share of a keyword index: its counts, and where its live passages go."""

    counts: TermCounts
    rows: Int64s  # the segment's live passages (rows of ``counts``)
    global_rows: Int64s  # the row each of them has in the index


class KeywordIndex:
    """Row ``i`` is passage ``i``, like the dense index, so scores line up by row.

    Texts and queries go through the same ``analyse``; bm25s only counts the terms it is given.
    """

    def __init__(self, parts: dict[str, tuple[bm25s.BM25, npt.NDArray[np.int64]]], size: int) -> None:
        self._parts = parts
        self.size = size

    @classmethod
    def build(cls, texts: Sequence[str], langs: Sequence[str | None] | None = None) -> KeywordIndex:
        rows = np.arange(len(texts), dtype=np.int64)
        languages = list(langs) if langs is not None else [None] * len(texts)
        return cls.from_counts([SegmentTerms(TermCounts.of(texts), rows, rows)], languages)

    @classmethod
    def from_counts(cls, segments: Sequence[SegmentTerms], langs: Sequence[str | None]) -> KeywordIndex:
        """BM25 over the given passages of all segments, with statistics over exactly those passages.

        Computes what bm25s's own ``index`` stores (its "lucene" method, float32 scores), so the
        scores equal those of an index built at once from the same passages, bit for bit.
        """
        size = len(langs)
        combined = TermCounts.combine(segments, size)
        doc, term, count = combined.entries(np.arange(size, dtype=np.int64))
        names = combined.vocab
        groups: dict[str, list[int]] = {}
        for row, lang in enumerate(langs):
            groups.setdefault(lang or _DEFAULT_PART, []).append(row)
        part_of_row = np.zeros(size, dtype=np.int64)
        ordered = sorted(groups)
        for code, name in enumerate(ordered):
            part_of_row[groups[name]] = code
        entry_part = part_of_row[doc]
        parts = {}
        for code, name in enumerate(ordered):
            keep = entry_part == code
            rows = np.array(groups[name], dtype=np.int64)
            parts[name] = (_bm25(rows, doc[keep], term[keep], count[keep], names), rows)
        return cls(parts, size)

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


def _bm25(rows: Int64s, doc: Int64s, term: Int64s, count: npt.NDArray[np.int32], names: list[str]) -> bm25s.BM25:
    """A bm25s retriever over the passages ``rows`` holding exactly the scores its ``index`` would compute."""
    retriever = bm25s.BM25(k1=K1, b=B)
    local_doc = np.searchsorted(rows, doc)  # entries come ordered by row
    used = np.flatnonzero(np.bincount(term)) if len(term) else np.zeros(0, np.int64)
    remap = np.zeros(int(used[-1]) + 1 if len(used) else 0, dtype=np.int64)
    remap[used] = np.arange(len(used))
    local_term = remap[term]
    n_docs = len(rows)
    lengths = np.bincount(local_doc, weights=count, minlength=n_docs).astype(np.int64)
    # As bm25s: the mean of integer lengths, idf from Python floats stored as float32, and the
    # term-frequency part in float64 (a float64 scalar meets a float32 array) before the float32 store.
    average = lengths.mean() if n_docs else np.float64(0.0)
    frequencies = np.bincount(local_term, minlength=len(used))
    idf = np.array([math.log(1 + (n_docs - df + 0.5) / (df + 0.5)) for df in frequencies.tolist()], dtype=np.float32)
    k1, b = retriever.k1, retriever.b
    tf = count.astype(np.float32).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        length_part = k1 * ((1 - b) + b * lengths.astype(np.float64) / average)
    scores = (idf[local_term].astype(np.float64) * (tf / (length_part[local_doc] + tf))).astype(np.float32)
    # Entries come ordered by row: as a row-major sparse matrix, scipy's transpose to columns (a
    # counting sort, linear) gives bm25s's layout, each term's rows in order.
    by_row = np.concatenate([np.zeros(1, np.int64), np.cumsum(np.bincount(local_doc, minlength=n_docs))])
    matrix = sparse.csr_matrix((scores, local_term, by_row), shape=(n_docs, len(used))).tocsc()
    retriever.scores = {
        "data": matrix.data.astype(np.float32, copy=False),
        "indices": matrix.indices.astype(np.int32, copy=False),
        "indptr": matrix.indptr.astype(np.int64, copy=False),
        "num_docs": n_docs,
    }
    retriever.vocab_dict = {names[t]: i for i, t in enumerate(used.tolist())}
    retriever.unique_token_ids_set = set(retriever.vocab_dict.values())
    retriever.nonoccurrence_array = None
    return retriever
