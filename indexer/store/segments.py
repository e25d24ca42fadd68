"""Immutable index segments: records, float16 vectors, a dense index and term counts in one folder each.

A version of the index lists its segments; search reads the live rows of all of them as one
index (``indexer.store.segmented``). A segment is written once, inside a build's
staging folder, and later versions take it over by hard link, never by copy.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import msgspec
import numpy as np
import numpy.typing as npt

from indexer.encoders.base import Vectors
from indexer.models import Article, Passage, Sentence
from indexer.store.dense import DenseIndex, DenseKind
from indexer.store.keyword import TERM_FILES, SegmentTerms, TermCounts
from indexer.store.tables import (
    ArticleTable,
    PassageTable,
    RecordsHeader,
    SegmentRecords,
    SentenceTable,
    map_blob,
    to_columns,
)

log = logging.getLogger(__name__)

# Vectors on disk and when loaded: half of float32, read through a memory map.
VECTOR_DTYPE = np.float16
StoredVectors = npt.NDArray[np.float16]
Rows = npt.NDArray[np.int64]
# Format 5: records as columns (indexer.store.tables); bodies in one blob, mapped.
ARTICLES = "articles.json"
BODIES = "bodies.txt"
PASSAGES = "passages.npy"
EMBEDDINGS = "embeddings.npy"
SENTENCES = "sentences.npy"
SENTENCE_EMBEDDINGS = "sentence_embeddings.npy"
DENSE = "dense.faiss"
KEYWORD_DIR = "keyword"
SEGMENT_FILES = (
    ARTICLES,
    BODIES,
    PASSAGES,
    SENTENCES,
    EMBEDDINGS,
    SENTENCE_EMBEDDINGS,
    DENSE,
    *(f"{KEYWORD_DIR}/{name}" for name in TERM_FILES),
)
# The files a keyword analyser writes: the only ones that change when it does.
KEYWORD_FILES = tuple(f"{KEYWORD_DIR}/{name}" for name in TERM_FILES)
# Files whose values are vectors: verification also checks that every value is finite.
VECTOR_FILES = (EMBEDDINGS, SENTENCE_EMBEDDINGS)


@dataclass(frozen=True, slots=True)
class IndexContent:
    """Records and their vectors: row ``i`` of each embedding matrix belongs to record ``i``.

    Sentence vectors are computed at build time so answering a question costs one query
    encoding, not one per candidate sentence.
    """

    articles: list[Article]
    passages: list[Passage]
    embeddings: Vectors
    sentences: list[Sentence]
    sentence_embeddings: Vectors

    @classmethod
    def empty(cls, dimension: int) -> IndexContent:
        none = np.zeros((0, dimension), dtype=np.float32)
        return cls(articles=[], passages=[], embeddings=none, sentences=[], sentence_embeddings=none)


def keyword_text(passage: Passage) -> str:
    """BM25 sees the title too, so a passage matches the article's subject words."""
    return f"{passage.title}\n{passage.text}"


def write_segment(
    directory: Path, content: IndexContent, *, dense_kind: DenseKind, terms: TermCounts | None = None
) -> None:
    """Write one segment's files into ``directory`` (inside a staging folder)."""
    directory.mkdir(parents=True, exist_ok=True)
    columns = to_columns(content.articles, content.passages, content.sentences)
    embeddings = content.embeddings.astype(VECTOR_DTYPE)
    sentence_embeddings = content.sentence_embeddings.astype(VECTOR_DTYPE)
    # Checked once, here: a NaN row scores NaN against every query, so answers would silently
    # disappear. Loading trusts the checksums (and verification re-checks the values).
    for name, matrix in ((EMBEDDINGS, embeddings), (SENTENCE_EMBEDDINGS, sentence_embeddings)):
        if not np.isfinite(matrix).all():
            raise ValueError(f"{name}: the encoder produced non-finite values (NaN or infinity)")
    (directory / ARTICLES).write_bytes(msgspec.json.encode(columns.header))
    (directory / BODIES).write_bytes(columns.bodies)
    np.save(directory / PASSAGES, columns.passages, allow_pickle=False)
    np.save(directory / SENTENCES, columns.sentences, allow_pickle=False)
    np.save(directory / EMBEDDINGS, embeddings, allow_pickle=False)
    np.save(directory / SENTENCE_EMBEDDINGS, sentence_embeddings, allow_pickle=False)
    # Built from the stored float16 values, so a merged segment (which only has those) holds the
    # same dense index as one built straight from the encoder.
    DenseIndex.build(embeddings.astype(np.float32), kind=dense_kind).save(directory / DENSE)
    counts = terms if terms is not None else TermCounts.of([keyword_text(p) for p in content.passages])
    counts.save(directory / KEYWORD_DIR)


def link_segment(source: Path, target: Path, names: Sequence[str] = SEGMENT_FILES) -> int:
    """Hard-link a segment's files (``names``) into another version; the bytes copied (0 unless links fail)."""
    copied = 0
    for name in names:
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(source / name, destination)
        except OSError as exc:
            # A file system without hard links (or across devices): correct, but no longer cheap.
            log.warning("segment_copied", extra={"file": str(source / name), "reason": exc.strerror})
            shutil.copyfile(source / name, destination)
            copied += destination.stat().st_size
    return copied


@dataclass(frozen=True, slots=True)
class Segment:
    """One segment as read: all its records (live or deleted) as columns and memory-mapped vectors."""

    name: str
    directory: Path
    records: SegmentRecords
    articles: ArticleTable
    passages: PassageTable
    sentences: SentenceTable
    embeddings: StoredVectors
    sentence_embeddings: StoredVectors
    dense: DenseIndex
    terms: TermCounts


def read_segment(directory: Path, name: str, *, kind: DenseKind) -> Segment:
    """Read a segment's files; the caller has checked their sizes (and checksums, or will)."""
    header = msgspec.json.decode((directory / ARTICLES).read_bytes(), type=RecordsHeader)
    records = SegmentRecords(
        header,
        map_blob(directory / BODIES),
        np.load(directory / PASSAGES, allow_pickle=False),
        np.load(directory / SENTENCES, allow_pickle=False),
    )
    articles = ArticleTable.of_segment(records)
    passages = PassageTable.of_segment(records, articles)
    return Segment(
        name=name,
        directory=directory,
        records=records,
        articles=articles,
        passages=passages,
        sentences=SentenceTable.of_segment(records, articles),
        # Mapped, not read: a search touches the rows of its candidates only (segment files are
        # never rewritten in place).
        embeddings=_map_vectors(directory / EMBEDDINGS),
        sentence_embeddings=_map_vectors(directory / SENTENCE_EMBEDDINGS),
        dense=DenseIndex.load(directory / DENSE, kind=kind),
        terms=TermCounts.load(directory / KEYWORD_DIR, size=len(passages)),
    )


def _map_vectors(path: Path) -> StoredVectors:
    # No madvise(MADV_RANDOM): measured, it did not curb resident growth here. The page cache
    # holds large folios (FileHugePages), and a fault maps the whole folio: 450 random rows of
    # the 100k archive's sentence vectors made 293 MiB resident with and without it (and with
    # MADV_NOHUGEPAGE). Those pages are clean and reclaimable; reading rows with pread instead
    # of a map would avoid counting them (not done).
    vectors: StoredVectors = np.load(path, mmap_mode="r", allow_pickle=False)
    return vectors


@dataclass(frozen=True, slots=True)
class ArticleRows:
    """Where each live record comes from, articles in a given order: source ``part[i]``, row ``local[i]`` there."""

    passage_part: Rows
    passage_local: Rows
    sentence_part: Rows
    sentence_local: Rows


def _article_codes(source: Segment | IndexContent) -> tuple[list[str], Rows, Rows]:
    """A source's article ids, and each passage's and sentence's article (a position in those ids)."""
    if isinstance(source, Segment):
        records = source.records
        return records.article_ids, records.passage_article.astype(np.int64), records.sentence_article.astype(np.int64)
    ids = [a.id for a in source.articles]
    code = {article_id: i for i, article_id in enumerate(ids)}
    return (
        ids,
        np.array([code[p.article_id] for p in source.passages], dtype=np.int64),
        np.array([code[s.article_id] for s in source.sentences], dtype=np.int64),
    )


def _gather_rows(wanted_part: Rows, wanted_article: Rows, by_source: Sequence[Rows]) -> tuple[Rows, Rows]:
    """The rows of article ``wanted_article[k]`` of source ``wanted_part[k]``, for each k in turn, as (part, row)."""
    grouped, firsts, offsets = [], [], [0]
    for articles in by_source:
        order = np.argsort(articles, kind="stable")  # each article's rows, in row order
        grouped.append(order)
        size = int(articles.max()) + 2 if len(articles) else 1
        firsts.append(np.concatenate([np.zeros(1, np.int64), np.cumsum(np.bincount(articles, minlength=size - 1))]))
        offsets.append(offsets[-1] + len(articles))
    if not len(wanted_part):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    flat = np.concatenate([np.zeros(0, np.int64), *grouped])
    start = np.zeros(len(wanted_part), np.int64)
    count = np.zeros(len(wanted_part), np.int64)
    for index, first in enumerate(firsts):
        chosen = wanted_part == index
        article = np.minimum(wanted_article[chosen], len(first) - 2)
        present = wanted_article[chosen] < len(first) - 1
        start[chosen] = offsets[index] + first[article]
        count[chosen] = np.where(present, first[article + 1] - first[article], 0)
    total = int(count.sum())
    within = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(count) - count, count)
    return np.repeat(wanted_part, count), flat[np.repeat(start, count) + within]


def article_rows(
    order: Sequence[str], source_of: Mapping[str, int], sources: Sequence[Segment | IndexContent]
) -> ArticleRows:
    """The passage and sentence rows of the articles in ``order``, each read from its source ``source_of[id]``.

    Vectorised: an index of 100k passages and 450k sentences is gathered without a Python step per row.
    """
    codes = [_article_codes(s) for s in sources]
    positions = [{article_id: i for i, article_id in enumerate(ids)} for ids, _, _ in codes]
    part = np.array([source_of[a] for a in order], dtype=np.int64)
    article = np.array([positions[source_of[a]][a] for a in order], dtype=np.int64)
    p_part, p_local = _gather_rows(part, article, [c[1] for c in codes])
    s_part, s_local = _gather_rows(part, article, [c[2] for c in codes])
    return ArticleRows(p_part, p_local, s_part, s_local)


def merge_content(
    order: Sequence[str], sources: Sequence[Segment | IndexContent], deleted: Sequence[frozenset[str]]
) -> tuple[IndexContent, TermCounts]:
    """The live records of ``sources`` as one segment, articles in ``order``; vectors are reused, never re-encoded."""
    where: dict[str, int] = {}
    for index, source in enumerate(sources):
        for article_id in source.articles if isinstance(source, Segment) else (a.id for a in source.articles):
            if article_id not in deleted[index]:
                where[article_id] = index
    wanted = [a for a in order if a in where]
    gathered = article_rows(wanted, where, sources)
    passage_part, passage_local = gathered.passage_part, gathered.passage_local
    sentence_part, sentence_local = gathered.sentence_part, gathered.sentence_local
    found = [
        {a.id: a for a in source.articles} if isinstance(source, IndexContent) else source.articles
        for source in sources
    ]
    pieces = []
    for index, source in enumerate(sources):
        chosen = np.flatnonzero(passage_part == index)
        texts = [] if isinstance(source, Segment) else [keyword_text(p) for p in source.passages]
        terms = source.terms if isinstance(source, Segment) else TermCounts.of(texts)
        pieces.append(SegmentTerms(terms, passage_local[chosen], chosen))
    content = IndexContent(
        articles=[found[where[a]][a] for a in wanted],
        passages=[sources[i].passages[r] for i, r in zip(passage_part.tolist(), passage_local.tolist(), strict=True)],
        embeddings=_gather([s.embeddings for s in sources], passage_part, passage_local),
        sentences=[
            sources[i].sentences[r] for i, r in zip(sentence_part.tolist(), sentence_local.tolist(), strict=True)
        ],
        sentence_embeddings=_gather([s.sentence_embeddings for s in sources], sentence_part, sentence_local),
    )
    return content, TermCounts.combine(pieces, len(content.passages))


def _gather(matrices: Sequence[StoredVectors | Vectors], part: Rows, local: Rows) -> Vectors:
    dimension = matrices[0].shape[1] if matrices else 0
    out = np.zeros((len(part), dimension), dtype=np.float32)
    for index, matrix in enumerate(matrices):
        chosen = part == index
        if chosen.any():
            out[chosen] = matrix[local[chosen]]
    return out
