"""The keyword index: BM25 (bm25s's "lucene" scores) over terms from the language-aware analyser, per language.

Each language's passages form their own BM25 part (document count, lengths, document
frequencies): adding a Russian archive does not change how English passages score against
an English query, and a query's terms, which are written in one script, only ever meet the
passages of that script anyway. On disk each segment keeps its passages' term counts
(``TermCounts``); the BM25 statistics are computed when an index is loaded, over the live
passages of all segments, so an index built by segments scores exactly like one built at once.

The scores are bm25s's own, bit for bit (tests compare), computed here with numpy alone:
importing bm25s pulls in numba and scipy, over a second of every service start.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import numpy.typing as npt

from indexer.text.analysis import ACRONYM_MARK, ANALYZER, analyse, analyse_passage, analyse_query
from indexer.text.language import script_of

__all__ = ["ANALYZER", "KeywordIndex", "TermCounts"]

# Passages whose language is unknown (indexes of one language, tests) share one part.
_DEFAULT_PART = "all"
_SCRIPT_PART = {"cyrillic": "ru", "han": "zh", "latin": "en"}
# BM25's term-frequency saturation and length normalisation: Anserini's defaults (k1 0.9, b 0.4), not
# bm25s's (1.5, 0.75). With 1.5 / 0.75, at archive scale a long passage repeating the archive's topic
# words ("China", "delegation") outscored the one holding the question's rarer words; measured on both
# question sets (docs/evaluation.md, "Today's defaults and what chose them"). Scores are computed from
# the stored term counts after loading (by a query as it needs them, or all at once in the background
# once the service is ready), so changing these needs no rebuild.
K1 = 0.9
B = 0.4


VOCAB = "vocab.json"
_TERM_IDS = "term_ids.npy"
_TERM_COUNTS = "term_counts.npy"
_OFFSETS = "offsets.npy"
# The same entries in (term, passage) order (BM25's column layout): loading then needs no sort
# or gather of millions of entries, only reads.
_BY_TERM_ROWS = "by_term_rows.npy"
_BY_TERM_COUNTS = "by_term_counts.npy"
_BY_TERM_OFFSETS = "by_term_offsets.npy"
TERM_FILES = (VOCAB, _TERM_IDS, _TERM_COUNTS, _OFFSETS, _BY_TERM_ROWS, _BY_TERM_COUNTS, _BY_TERM_OFFSETS)
Int64s = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class ByTerm:
    """Term counts in (term, passage) order: term t's passages ``rows[term_offsets[t]:term_offsets[t + 1]]``."""

    rows: npt.NDArray[np.int32]
    counts: npt.NDArray[np.int32]
    term_offsets: Int64s

    def terms(self) -> Int64s:
        """Each entry's term id."""
        return np.repeat(np.arange(len(self.term_offsets) - 1, dtype=np.int64), np.diff(self.term_offsets))


@dataclass(frozen=True, slots=True)
class TermCounts:
    """Each passage's analysed terms with their counts: what a segment stores for BM25.

    Passage ``i`` holds entries ``offsets[i]:offsets[i + 1]`` of ``term_ids`` (into ``vocab``)
    and ``counts``; its length, as BM25 counts it, is the sum of its word terms' counts (acronym terms,
    which the words give, are not counted).
    """

    vocab: list[str]
    term_ids: npt.NDArray[np.int32]
    counts: npt.NDArray[np.int32]
    offsets: Int64s
    # The entries in (term, passage) order: each term's passages and counts, term t at
    # ``term_offsets[t]:term_offsets[t + 1]``. Computed when absent (in memory, before saving).
    by_term: ByTerm | None = None

    def columns(self) -> ByTerm:
        """The entries in (term id, passage) order."""
        if self.by_term is not None:
            return self.by_term
        order = np.argsort(self.term_ids, kind="stable")  # stable: each term's passages stay ascending
        rows = np.repeat(np.arange(len(self), dtype=np.int32), np.diff(self.offsets))[order]
        sizes = np.bincount(np.asarray(self.term_ids, dtype=np.int64), minlength=len(self.vocab))
        offsets = np.concatenate([np.zeros(1, np.int64), np.cumsum(sizes, dtype=np.int64)])
        return ByTerm(rows.astype(np.int32), np.asarray(self.counts)[order].astype(np.int32), offsets)

    @classmethod
    def of(cls, texts: Sequence[str]) -> TermCounts:
        vocab: dict[str, int] = {}
        ids: list[int] = []
        counts: list[int] = []
        offsets = [0]
        for text in texts:
            for term, count in Counter(analyse_passage(text)).items():
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
        by_term = self.columns()
        np.save(directory / _BY_TERM_ROWS, by_term.rows, allow_pickle=False)
        np.save(directory / _BY_TERM_COUNTS, by_term.counts, allow_pickle=False)
        np.save(directory / _BY_TERM_OFFSETS, by_term.term_offsets, allow_pickle=False)

    @classmethod
    def load(cls, directory: Path, *, size: int) -> TermCounts:
        vocab = msgspec.json.decode((directory / VOCAB).read_bytes(), type=list[str])
        # Mapped: the counts are read to compute BM25 at load and by merges, not kept resident.
        ids = np.load(directory / _TERM_IDS, mmap_mode="r", allow_pickle=False)
        counts = np.load(directory / _TERM_COUNTS, mmap_mode="r", allow_pickle=False)
        offsets = np.load(directory / _OFFSETS, allow_pickle=False)
        by_term = ByTerm(
            np.load(directory / _BY_TERM_ROWS, mmap_mode="r", allow_pickle=False),
            np.load(directory / _BY_TERM_COUNTS, mmap_mode="r", allow_pickle=False),
            np.load(directory / _BY_TERM_OFFSETS, allow_pickle=False),
        )
        if (
            by_term.rows.shape != ids.shape
            or by_term.counts.shape != ids.shape
            or len(by_term.term_offsets) != len(vocab) + 1
            or by_term.rows.dtype != np.int32
            or by_term.counts.dtype != np.int32
            or by_term.term_offsets.dtype != np.int64
            or (len(ids) and (by_term.rows.min() < 0 or by_term.rows.max() >= size))
            or (len(vocab) and (by_term.term_offsets[0] != 0 or by_term.term_offsets[-1] != len(ids)))
            or (np.diff(by_term.term_offsets) < 0).any()
        ):
            raise ValueError(f"term order in {directory} does not match its term counts")
        if (
            len(offsets) != size + 1
            or ids.shape != counts.shape
            or (size and (offsets[0] != 0 or offsets[-1] != len(ids) or (np.diff(offsets) < 0).any()))
            or (len(ids) and (ids.min() < 0 or ids.max() >= len(vocab) or counts.min() < 1))
        ):
            raise ValueError(f"term counts in {directory} do not describe {size} passages")
        if ids.dtype != np.int32 or counts.dtype != np.int32 or offsets.dtype != np.int64:
            raise ValueError(f"term counts in {directory} have the wrong types")
        return cls(vocab, ids, counts, offsets, by_term)


@dataclass(frozen=True, slots=True)
class SegmentTerms:
    """One segment's share of a keyword index: its counts, and where its live passages go."""

    counts: TermCounts
    rows: Int64s  # the segment's live passages (rows of ``counts``)
    global_rows: Int64s  # the row each of them has in the index


@dataclass(frozen=True, slots=True)
class _Part:
    """One language's BM25: each term's passages and counts as a column (bm25s's CSC layout).

    Loading does not compute the scores: at 100k passages that took most of loading the index.
    Until ``precompute`` (which the service runs once it is ready) a query computes the columns
    it reads. The arithmetic is bm25s's either way, so the scores are the ones it would store.
    """

    rows: Int64s  # the index rows of this part's passages; column entries are positions in it
    vocab: dict[str, int]
    indptr: Int64s
    indices: npt.NDArray[np.int32]
    counts: npt.NDArray[np.int32]  # each entry's term frequency
    idf: npt.NDArray[np.float32]  # per column
    length_part: npt.NDArray[np.float64]  # per passage: k1 * ((1 - b) + b * length / average length)
    # Every entry's score once ``precompute`` ran (a list so the frozen part can take it later).
    scored: list[npt.NDArray[np.float32]] = field(default_factory=list)

    def precompute(self) -> None:
        """Compute every entry's score now, so queries only add columns up."""
        if not self.scored:
            idf = np.repeat(self.idf, np.diff(self.indptr))
            self.scored.append(_scores(idf, self.counts, self.length_part[self.indices]))

    def column(self, column: int) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.float32]]:
        """The passages of one term's column and their scores, as bm25s stores them (float32)."""
        start, end = self.indptr[column], self.indptr[column + 1]
        passages = self.indices[start:end]
        if self.scored:
            return passages, self.scored[0][start:end]
        return passages, _scores(self.idf[column], self.counts[start:end], self.length_part[passages])

    def scores(self, terms: Sequence[str]) -> npt.NDArray[np.float32]:
        """bm25s's ``get_scores``: each known term's column added in turn, in float32."""
        result = np.zeros(len(self.rows), dtype=np.float32)
        for term in terms:
            column = self.vocab.get(term)
            if column is not None:
                passages, scores = self.column(column)
                # A passage appears once per column, so this equals bm25s's np.add.at.
                result[passages] += scores
        return result

    def df(self, term: str) -> int:
        column = self.vocab.get(term)
        return 0 if column is None else int(self.indptr[column + 1] - self.indptr[column])


def _scores(
    idf: np.float32 | npt.NDArray[np.float32], counts: npt.NDArray[np.int32], length_part: npt.NDArray[np.float64]
) -> npt.NDArray[np.float32]:
    """bm25s's arithmetic: a float32 idf meets the float64 term-frequency part, stored as float32."""
    tf = counts.astype(np.float64)  # integer counts are exact in float32 and float64 alike
    return (np.asarray(idf).astype(np.float64) * (tf / (length_part + tf))).astype(np.float32)


class KeywordIndex:
    """Row ``i`` is passage ``i``, like the dense index, so scores line up by row.

    Texts and queries go through the same ``analyse``; BM25 only counts the terms it is given.
    """

    def __init__(self, parts: dict[str, _Part], size: int) -> None:
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
        names: dict[str | None, int] = {}
        codes = np.array([names.setdefault(lang, len(names)) for lang in langs], dtype=np.int64)
        return cls.from_coded(segments, codes, list(names))

    @classmethod
    def from_coded(
        cls, segments: Sequence[SegmentTerms], lang_code: npt.NDArray[np.int64], lang_names: Sequence[str | None]
    ) -> KeywordIndex:
        """As ``from_counts``, each passage's language given as a code into ``lang_names``."""
        size = len(lang_code)
        term, doc, count, names = _by_term(segments, size)
        # A passage's length counts its words only: acronym terms are derived from them (like a field
        # of their own), and counting them made passages full of names rank lower for every query.
        derived = np.fromiter((name.endswith(ACRONYM_MARK) for name in names), dtype=bool, count=len(names))
        words = np.where(derived[term], 0, count) if derived.any() else count
        # Each language (unknown ones together) is a part of its own, in name order.
        part_name = [name or _DEFAULT_PART for name in lang_names]
        ordered = sorted(set(part_name[c] for c in np.unique(lang_code).tolist()))
        part_of_code = np.array([ordered.index(n) if n in ordered else -1 for n in part_name], dtype=np.int64)
        part_of_row = part_of_code[lang_code] if size else np.zeros(0, np.int64)
        parts = {}
        for code, name in enumerate(ordered):
            if len(ordered) == 1:
                rows, keep = np.arange(size, dtype=np.int64), None
            else:
                rows = np.flatnonzero(part_of_row == code).astype(np.int64)
                keep = part_of_row[doc] == code
            parts[name] = _bm25(
                rows,
                _take(doc, keep),
                _take(term, keep),
                _take(count, keep),
                _take(words, keep),
                names,
                whole=keep is None,
            )
        return cls(parts, size)

    def precompute(self) -> None:
        """Every BM25 score computed now rather than by the queries that need them (see ``_Part``)."""
        for part in self._parts.values():
            part.precompute()

    def _part_for(self, term: str) -> _Part | None:
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
        df = sum(part.df(term) for part in parts)
        n = sum(len(part.rows) for part in parts)
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))

    def query_terms(self, query: str) -> list[str]:
        """The analysed terms of ``query``, exactly as passages were analysed."""
        return analyse(query)

    def scores(self, query: str) -> npt.NDArray[np.float32]:
        """BM25 score of every passage for ``query`` (zeros when no term is in the vocabulary)."""
        result = np.zeros(self.size, dtype=np.float32)
        terms = analyse_query(query)
        for part in self._parts.values():
            known = [t for t in terms if t in part.vocab]
            if known and len(part.rows):
                result[part.rows] = part.scores(known)
        return result


def _take(values: npt.NDArray[Any], keep: npt.NDArray[np.bool_] | None) -> npt.NDArray[Any]:
    return values if keep is None else values[keep]


_Run = tuple[Int64s, Int64s, npt.NDArray[np.int32]]  # (term, row, count) entries in (term, row) order


def _by_term(segments: Sequence[SegmentTerms], size: int) -> tuple[Int64s, Int64s, npt.NDArray[np.int32], list[str]]:
    """Every live entry of all segments as (global term id, index row, count), in (term, row) order.

    Each segment stores its entries in that order (``by_term``); the first segment's terms keep
    their ids, so its entries arrive sorted (when its rows keep their order in the index) and
    only the other segments' entries, usually few, are sorted and merged in.
    """
    vocab: dict[str, int] = {}
    runs = [_segment_run(segment, vocab, size) for segment in segments]
    runs.sort(key=lambda run: -len(run[0]))
    if not runs:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int32), list(vocab)
    term, row, count = _merge_runs(runs[0], runs[1:], size) if len(runs) > 1 else runs[0]
    return term, row, count.astype(np.int32, copy=False), list(vocab)


def _segment_run(segment: SegmentTerms, vocab: dict[str, int], size: int) -> _Run:
    """One segment's live entries with global term ids (added to ``vocab``) and index rows, sorted."""
    counts = segment.counts
    mapping = np.array([vocab.setdefault(t, len(vocab)) for t in counts.vocab], dtype=np.int64)
    identity_terms = bool(np.array_equal(mapping, np.arange(len(mapping))))
    by_term = counts.columns()
    term = by_term.terms()
    local_row, count = np.asarray(by_term.rows), np.asarray(by_term.counts)
    in_order = len(segment.rows) == len(counts) and bool(
        np.array_equal(segment.rows, np.arange(len(counts))) and np.array_equal(segment.global_rows, segment.rows)
    )
    if in_order:
        # Every passage, at its own row: the stored order is already the index's.
        row = local_row.astype(np.int64)
    else:
        to_index = np.full(len(counts), -1, dtype=np.int64)
        to_index[segment.rows] = segment.global_rows
        row = to_index[local_row]
        live = row >= 0
        row, term, count = row[live], term[live], count[live]
    if not identity_terms:
        term = mapping[term]
    if not (identity_terms and in_order):
        key = term * max(size, 1) + row
        if len(key) > 1 and not bool((key[1:] > key[:-1]).all()):
            ordered = np.argsort(key)  # keys are unique: (term, row) pairs
            term, row, count = term[ordered], row[ordered], count[ordered]
    return term, row, count


def _merge_runs(big: _Run, rest: Sequence[_Run], size: int) -> _Run:
    """The entries of ``big`` and ``rest`` in one (term, row) order; ``big`` is copied, not sorted again."""
    term, row, count = big
    rest_term = np.concatenate([r[0] for r in rest])
    rest_row = np.concatenate([r[1] for r in rest])
    rest_count = np.concatenate([r[2] for r in rest])
    scale = max(size, 1)
    rest_key = rest_term * scale + rest_row
    ordered = np.argsort(rest_key)
    rest_key, rest_term, rest_row, rest_count = (
        rest_key[ordered],
        rest_term[ordered],
        rest_row[ordered],
        rest_count[ordered],
    )
    # Merge two sorted runs: the small one's entries go before the first larger key of the big one.
    at = np.searchsorted(term * scale + row, rest_key) + np.arange(len(rest_key))
    total = len(term) + len(rest_key)
    is_big = np.ones(total, dtype=bool)
    is_big[at] = False
    merged_term, merged_row = np.empty(total, np.int64), np.empty(total, np.int64)
    merged_count = np.empty(total, np.int32)
    for merged, first, second in ((merged_term, term, rest_term), (merged_row, row, rest_row),
                                  (merged_count, count, rest_count)):  # fmt: skip
        merged[is_big] = first
        merged[at] = second
    return merged_term, merged_row, merged_count


def _bm25(
    rows: Int64s,
    doc: Int64s,
    term: Int64s,
    count: npt.NDArray[np.int32],
    words: npt.NDArray[np.int32],
    names: list[str],
    *,
    whole: bool,
) -> _Part:
    """The BM25 part over the passages ``rows``, from its entries in (term, row) order: bm25s's scores exactly.

    ``words``: each entry's count toward its passage's length (0 for acronym terms).
    ``whole``: ``rows`` is every index row, so an entry's row is already its position in ``rows``.
    """
    if whole:
        local_doc = doc
    else:
        position = np.full(int(rows[-1]) + 1 if len(rows) else 0, -1, dtype=np.int64)
        position[rows] = np.arange(len(rows))
        local_doc = position[doc]  # every entry's row is one of ``rows``
    occurrences = np.bincount(term) if len(term) else np.zeros(0, np.int64)
    used = np.flatnonzero(occurrences)
    n_docs = len(rows)
    lengths = np.bincount(local_doc, weights=words, minlength=n_docs).astype(np.int64)
    # As bm25s: the mean of integer lengths, idf from Python floats stored as float32.
    average = lengths.mean() if n_docs else np.float64(0.0)
    frequencies = occurrences[used]
    idf = np.array([math.log(1 + (n_docs - df + 0.5) / (df + 0.5)) for df in frequencies.tolist()], dtype=np.float32)
    with np.errstate(divide="ignore", invalid="ignore"):
        length_part = K1 * ((1 - B) + B * lengths.astype(np.float64) / average)
    # Entries come in (term, row) order: bm25s's column layout, each term's rows ascending.
    indptr = np.concatenate([np.zeros(1, np.int64), np.cumsum(frequencies)]).astype(np.int64)
    vocab = {names[t]: i for i, t in enumerate(used.tolist())}
    return _Part(rows, vocab, indptr, local_doc.astype(np.int32), count, idf, length_part)
