"""A loaded index: the live records of all segments as one index, in the manifest's article order."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from indexer.errors import IndexCorruptError
from indexer.models import Manifest
from indexer.store.dense import DenseIndex
from indexer.store.keyword import KeywordIndex, SegmentTerms
from indexer.store.segmented import SegmentedDense, SegmentedVectors
from indexer.store.segments import ArticleRows, Rows, Segment, StoredVectors, article_rows
from indexer.store.stories import StoryMap
from indexer.store.tables import ArticleSource, ArticleTable, PassageTable, SegmentRecords, SentenceTable


@dataclass(frozen=True, slots=True)
class LoadedIndex:
    """A verified index in memory; ``passages[i]`` is row ``i`` of both search indexes."""

    directory: Path
    manifest: Manifest
    articles: ArticleTable
    passages: PassageTable
    embeddings: StoredVectors | SegmentedVectors
    sentences: SentenceTable
    sentence_embeddings: StoredVectors | SegmentedVectors
    dense: DenseIndex | SegmentedDense
    keyword: KeywordIndex
    segments: tuple[Segment, ...] = field(default=(), repr=False)
    # Per segment name, the articles deleted from it (replaced or removed since it was written).
    tombstones: dict[str, frozenset[str]] = field(default_factory=dict)
    # Files whose sizes were checked but whose checksums are still to be (``verify_deferred``).
    unverified: tuple[str, ...] = ()
    # Which live articles are versions of one story (a translation, a repost); others stand alone.
    stories: StoryMap = field(default_factory=StoryMap)

    @property
    def version(self) -> str:
        return self.manifest.version


def _gather(columns: list[npt.NDArray[Any]], part: Rows, local: Rows) -> npt.NDArray[Any]:
    """Row ``i`` is ``columns[part[i]][local[i]]``: one column of the index from the segments' columns."""
    if len(columns) == 1:
        return columns[0][local]
    out = np.empty(len(part), dtype=columns[0].dtype)
    for index, column in enumerate(columns):
        chosen = part == index
        out[chosen] = column[local[chosen]]
    return out


def combine(
    version_dir: Path,
    manifest: Manifest,
    segments: tuple[Segment, ...],
    deleted: dict[str, frozenset[str]],
    unverified: tuple[str, ...],
) -> LoadedIndex:
    """The live records of all segments as one index, rows in the manifest's article order.

    That order is the order a build was given its articles in, so an index grown by segments
    has the same rows, and therefore the same rankings and tie-breaks, as one built at once.
    Everything per row is numpy columns gathered from the segments' columns.
    """
    where = _live_segment_of(version_dir, manifest, segments, deleted)
    order = list(manifest.articles)
    articles, code_of = _article_table(order, where, segments)
    rows = article_rows(order, where, segments)
    records = [s.records for s in segments]
    passages = _passage_table(articles, records, code_of, rows.passage_part, rows.passage_local)
    sentences = _sentence_table(articles, records, code_of, rows.sentence_part, rows.sentence_local)
    pieces = _keyword_pieces(segments, rows.passage_part, rows.passage_local)
    keyword = KeywordIndex.from_coded(pieces, passages.lang.astype(np.int64) + 1, [None, *passages.langs])
    embeddings, sentence_embeddings, dense = _vectors(
        segments, rows, pieces, (len(passages), len(sentences)), manifest.model.dimension
    )
    return LoadedIndex(
        version_dir, manifest, articles, passages, embeddings, sentences, sentence_embeddings, dense, keyword,
        segments, deleted, unverified,
    )  # fmt: skip


def _live_segment_of(
    version_dir: Path, manifest: Manifest, segments: tuple[Segment, ...], deleted: dict[str, frozenset[str]]
) -> dict[str, int]:
    """Each live article's segment; ``IndexCorruptError`` unless they are exactly the manifest's articles."""
    where: dict[str, int] = {}
    for index, segment in enumerate(segments):
        dead = deleted.get(segment.name, frozenset())
        for article_id in segment.articles.ids:
            if article_id in dead:
                continue
            if article_id in where:
                raise IndexCorruptError(f"{version_dir}: article {article_id!r} is live in two segments")
            where[article_id] = index
    if where.keys() != manifest.articles.keys():
        raise IndexCorruptError(f"{version_dir}: the segments' live articles are not the manifest's articles")
    return where


def _article_table(
    order: list[str], where: dict[str, int], segments: tuple[Segment, ...]
) -> tuple[ArticleTable, list[npt.NDArray[np.int32]]]:
    """The articles in ``order``, and per segment its articles' codes in the index (-1: deleted)."""
    article_part = np.array([where[a] for a in order], dtype=np.int32)
    article_local = np.array([segments[where[a]].articles.code(a) for a in order], dtype=np.int32)
    articles = ArticleTable(ArticleSource(order, article_part, article_local, [s.records for s in segments]))
    code_of = []
    for index, segment in enumerate(segments):
        codes = np.full(len(segment.articles), -1, dtype=np.int32)
        chosen = article_part == index
        codes[article_local[chosen]] = np.flatnonzero(chosen).astype(np.int32)
        code_of.append(codes)
    return articles, code_of


def _passage_table(
    articles: ArticleTable,
    records: list[SegmentRecords],
    code_of: list[npt.NDArray[np.int32]],
    part: Rows,
    local: Rows,
) -> PassageTable:
    """The passages at rows (``part``, ``local``) of the segments, languages coded over all segments."""
    langs: list[str] = sorted({name for r in records for name in r.langs})
    # Local language code -> index code, shifted by one so that -1 (unknown) stays -1.
    lang_maps = [np.array([-1, *(langs.index(n) for n in r.langs)], dtype=np.int16) for r in records]
    return PassageTable(
        articles,
        _gather([c[r.passage_article] for c, r in zip(code_of, records, strict=True)], part, local),
        _gather([r.passage_ordinal for r in records], part, local),
        _gather([r.passage_start for r in records], part, local),
        _gather([r.passage_end for r in records], part, local),
        _gather([r.passage_tokens for r in records], part, local),
        _gather([m[r.passage_lang + 1] for m, r in zip(lang_maps, records, strict=True)], part, local),
        langs,
    )


def _sentence_table(
    articles: ArticleTable,
    records: list[SegmentRecords],
    code_of: list[npt.NDArray[np.int32]],
    part: Rows,
    local: Rows,
) -> SentenceTable:
    """The sentences at rows (``part``, ``local``) of the segments."""
    return SentenceTable(
        articles,
        _gather([c[r.sentence_article] for c, r in zip(code_of, records, strict=True)], part, local),
        _gather([r.sentence_start for r in records], part, local),
        _gather([r.sentence_end for r in records], part, local),
    )


def _keyword_pieces(segments: tuple[Segment, ...], part: Rows, local: Rows) -> list[SegmentTerms]:
    """Per segment, its live passages in its own row order and the index rows they take."""
    pieces = []
    for index, segment in enumerate(segments):
        chosen = np.flatnonzero(part == index)
        by_local = np.argsort(local[chosen], kind="stable")
        pieces.append(SegmentTerms(segment.terms, local[chosen][by_local], chosen[by_local]))
    return pieces


def _vectors(
    segments: tuple[Segment, ...],
    rows: ArticleRows,
    pieces: list[SegmentTerms],
    sizes: tuple[int, int],
    dimension: int,
) -> tuple[StoredVectors | SegmentedVectors, StoredVectors | SegmentedVectors, DenseIndex | SegmentedDense]:
    """Passage and sentence vectors and the dense index, read through the segments' own where they can be."""
    n_passages, n_sentences = sizes
    only = segments[0] if len(segments) == 1 else None
    if (
        only is not None
        and n_passages == len(only.passages)
        and n_sentences == len(only.sentences)
        and np.array_equal(rows.passage_local, np.arange(len(rows.passage_local)))
        and np.array_equal(rows.sentence_local, np.arange(len(rows.sentence_local)))
    ):
        # One segment holding exactly the index in order (a fresh or fully merged build): its
        # memory maps and dense index serve directly.
        return only.embeddings, only.sentence_embeddings, only.dense
    return (
        SegmentedVectors([s.embeddings for s in segments], rows.passage_part, rows.passage_local, dimension),
        SegmentedVectors([s.sentence_embeddings for s in segments], rows.sentence_part, rows.sentence_local, dimension),
        SegmentedDense(
            [s.dense for s in segments], [p.rows for p in pieces], [p.global_rows for p in pieces], n_passages
        ),
    )
