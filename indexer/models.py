"""Shared records of the core: articles, passages, hits, filters and the index manifest."""

from __future__ import annotations

import datetime as dt
from typing import Literal

import msgspec

SearchMode = Literal["dense", "keyword", "hybrid"]
SEARCH_MODES: tuple[SearchMode, ...] = ("dense", "keyword", "hybrid")


class Article(msgspec.Struct, frozen=True, kw_only=True):
    """One news article after boilerplate removal; citations index into ``body``.

    ``url`` is the original page of a web article; ``lang`` its language code (``en``, ``ru``,
    ``zh``, ...) when known; ``date_source`` says where ``date`` was read from (``header``,
    ``footer``, ``metadata``, ``time``, ``date-line``, ``url``, ``export``), so a reader can
    judge how far to trust it. ``alternates`` and ``story`` are what the source declares about
    other versions of the same story (``indexer.build.stories``).
    """

    id: str
    title: str
    date: str | None
    body: str
    source: str
    content_hash: str
    url: str | None = None
    lang: str | None = None
    date_source: str | None = None
    # Absolute urls of the same story elsewhere (another language), as the page or its sitemap
    # declares them (``<link rel="alternate" hreflang>``), normalised and sorted.
    alternates: tuple[str, ...] = ()
    # A story key an export declares: articles with one key are versions of one story.
    story: str | None = None


class Passage(msgspec.Struct, frozen=True, kw_only=True):
    """A sentence-aligned window of an article body: ``body[start:end] == text``."""

    id: str
    article_id: str
    ordinal: int
    title: str
    date: str | None
    start: int
    end: int
    n_tokens: int
    text: str
    # Copied from the article, like title and date, so every hit and citation carries the
    # original page without a lookup (``None`` for articles read from files).
    url: str | None = None
    # The passage's language (``ru``, ``en``, ``zh``, ``other``); ``None`` in indexes built
    # before languages were recorded, read as covered by the model.
    lang: str | None = None


class Sentence(msgspec.Struct, frozen=True, kw_only=True, array_like=True):
    """A sentence of an article body, ``body[start:end]``; answers are chosen among these."""

    article_id: str
    start: int
    end: int


class ComponentScores(msgspec.Struct, frozen=True, kw_only=True):
    """The per-retriever scores behind a fused score; ``None`` when that retriever missed it."""

    dense: float | None = None
    keyword: float | None = None


class Hit(msgspec.Struct, frozen=True, kw_only=True):
    """A ranked passage for one query."""

    rank: int
    score: float
    scores: ComponentScores
    passage: Passage


class SearchFilters(msgspec.Struct, frozen=True, kw_only=True):
    """Restrictions applied before ranking; dates are inclusive ISO days, ``langs`` passage languages."""

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    article_ids: frozenset[str] | None = None
    langs: frozenset[str] | None = None
    # True when the dates were read from the query's words, not set by the caller: an undated
    # article cannot be shown to fall outside the window either, and the words may name the
    # event's time rather than the publication's ("last year's final" in an undated report).
    keep_undated: bool = False

    def admits(self, passage: Passage) -> bool:
        if self.article_ids is not None and passage.article_id not in self.article_ids:
            return False
        if self.langs is not None and passage.lang not in self.langs:
            return False
        if self.date_from is None and self.date_to is None:
            return True
        if passage.date is None:
            # An undated article cannot be shown to fall inside a requested range.
            return self.keep_undated
        day = dt.date.fromisoformat(passage.date)
        if self.date_from is not None and day < self.date_from:
            return False
        return not (self.date_to is not None and day > self.date_to)

    @property
    def is_empty(self) -> bool:
        return self.article_ids is None and self.date_from is None and self.date_to is None and self.langs is None


class ChunkParams(msgspec.Struct, frozen=True, kw_only=True):
    """How article bodies were cut into passages.

    ``pipeline`` versions the parsing and splitting code itself: unchanged files parse
    differently after such a change, so it forces a rebuild and a new index version.
    """

    chunk_tokens: int
    overlap_tokens: int
    encoding: str
    pipeline: int


class ModelInfo(msgspec.Struct, frozen=True, kw_only=True):
    """The embedding model an index was built with; ``backend`` is the encoder that ran it.

    Manifests written before backends existed were all made by torch, hence the default.
    """

    name: str
    dimension: int
    max_seq_length: int
    # Languages the model embeds meaningfully; text in any other is ranked by keyword evidence alone.
    languages: tuple[str, ...] = ("en",)
    backend: str = "torch"


class FileEntry(msgspec.Struct, frozen=True, kw_only=True):
    """Size and checksum of one index file, checked on load."""

    bytes: int
    sha256: str


class SegmentEntry(msgspec.Struct, frozen=True, kw_only=True):
    """One segment of a version: its name, its folder ("" is the version folder itself), its dense index."""

    name: str
    path: str
    dense_index: str


class Manifest(msgspec.Struct, frozen=True, kw_only=True):
    """Everything needed to verify and interpret an index directory."""

    format_version: int
    version: str
    built_at: str
    model: ModelInfo
    chunking: ChunkParams
    dense_index: str
    counts: dict[str, int]
    articles: dict[str, str]
    files: dict[str, FileEntry]
    # The keyword analyser's name and version (indexer.text.analysis.ANALYZER); ``None`` before it was recorded.
    analyzer: str | None = None
    # The segments holding the records (largest first); deleted articles are listed in tombstones.json.
    segments: list[SegmentEntry] = msgspec.field(default_factory=list)
    # The dense index the build asked for ("flat", "hnsw"; "auto": by segment size), which a merge keeps.
    dense_requested: str = "auto"
    # The story rules whose groups stories.json holds (indexer.build.stories); ``None``: no such file,
    # every article stands alone.
    stories: str | None = None


class TimeReading(msgspec.Struct, frozen=True, kw_only=True):
    """What a query says about time (``indexer.text.timeexpr.read_time``).

    ``date_from``/``date_to``: the inclusive window the words name; ``filter``: whether they say
    when the news was published (the window then restricts the search) or only hint at it (the
    window then ranks nearer articles higher); ``recency``: the query asks for the latest news;
    ``text``: the words the reading came from; ``spans``: where the words that were used up
    (a filtering window, the wish for the newest) stand in the query, as (start, end) offsets.
    All empty when the query says nothing of time.
    """

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    filter: bool = False
    recency: bool = False
    text: str | None = None
    spans: tuple[tuple[int, int], ...] = ()

    @property
    def is_empty(self) -> bool:
        return self.date_from is None and self.date_to is None and not self.recency


class QueryReading(msgspec.Struct, frozen=True, kw_only=True):
    """How a query was read: its language, and whether its dense (model) score was used."""

    lang: str
    dense: bool


class Answer(msgspec.Struct, frozen=True, kw_only=True):
    """An extracted sentence (or short span) that answers a question, cited exactly.

    ``body[start:end] == text`` for the article's body; ``confidence`` is in [0, 1].
    """

    text: str
    passage_id: str
    article_id: str
    title: str
    date: str | None
    start: int
    end: int
    confidence: float


class AskResult(msgspec.Struct, frozen=True, kw_only=True):
    """The outcome of a question: an answer, or an abstention, plus the supporting hits."""

    question: str
    answer: Answer | None
    abstained: bool
    citations: list[Hit]
    # Why the answerer abstained, in plain words ("no passage mentions 'tuition fee'"); None when it answered.
    reason: str | None = None
