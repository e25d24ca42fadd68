"""Columnar records: articles, passages and sentences as numpy columns plus one text blob, materialised per row.

An index of 100k passages holds ~550k passage and sentence records. Kept as Python objects
they cost seconds of JSON decoding at every start and most of the process's anonymous memory;
as columns they load in milliseconds, and a ``Passage`` or ``Sentence`` is built only for the
rows a caller asks for (the hits of a search). Article bodies stay in a memory-mapped blob.

A passage's ``id``, ``title``, ``date`` and ``url`` are its article's and its ``text`` is
``body[start:end]``; the writer refuses records that break this (``RecordsError``), so the
stored columns say everything the records did.
"""

from __future__ import annotations

import datetime as dt
import functools
import mmap
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, overload

import msgspec
import numpy as np
import numpy.typing as npt

from indexer.models import Article, Passage, Sentence

PASSAGE_DTYPE = np.dtype(
    [("article", "<i4"), ("ordinal", "<i4"), ("start", "<i8"), ("end", "<i8"), ("n_tokens", "<i4"), ("lang", "<i2")]
)
SENTENCE_DTYPE = np.dtype([("article", "<i4"), ("start", "<i8"), ("end", "<i8")])
NO_DAY = np.iinfo(np.int32).min
Int32s = npt.NDArray[np.int32]
Int64s = npt.NDArray[np.int64]
_ARTICLE_CACHE = 2048


_Record = TypeVar("_Record")


class RecordsError(ValueError):
    """Records that the columnar layout cannot hold (a passage that is not its article's text)."""


class ArticleMeta(msgspec.Struct, frozen=True, array_like=True):
    """An article without its body, which lies at bytes ``body_start:body_end`` of the segment's blob.

    The declared versions (``alternates``, ``story``) come last with defaults, so segments written
    before they were recorded still read.
    """

    id: str
    title: str
    date: str | None
    source: str
    content_hash: str
    url: str | None
    lang: str | None
    date_source: str | None
    body_start: int
    body_end: int
    alternates: tuple[str, ...] = ()
    story: str | None = None


class RecordsHeader(msgspec.Struct, frozen=True, kw_only=True):
    """A segment's article metadata and the passage languages its ``lang`` column numbers."""

    articles: list[ArticleMeta]
    langs: list[str]


@dataclass(frozen=True, slots=True)
class Columns:
    """One segment's records as written: header, bodies blob, passage and sentence columns."""

    header: RecordsHeader
    bodies: bytes
    passages: npt.NDArray[np.void]
    sentences: npt.NDArray[np.void]


def to_columns(articles: Sequence[Article], passages: Sequence[Passage], sentences: Sequence[Sentence]) -> Columns:
    """The columnar form of a segment's records; ``RecordsError`` if a record is not derivable from its article."""
    code = {article.id: i for i, article in enumerate(articles)}
    metas, blobs, offset = [], [], 0
    for article in articles:
        body = article.body.encode("utf-8")
        metas.append(
            ArticleMeta(article.id, article.title, article.date, article.source, article.content_hash, article.url,
                        article.lang, article.date_source, offset, offset + len(body), article.alternates,
                        article.story)
        )  # fmt: skip
        blobs.append(body)
        offset += len(body)
    langs: dict[str, int] = {}
    passage_rows = np.zeros(len(passages), dtype=PASSAGE_DTYPE)
    for row, passage in enumerate(passages):
        index = code.get(passage.article_id)
        if index is None:
            raise RecordsError(f"passage {passage.id!r} cites article {passage.article_id!r}, which is not stored")
        article = articles[index]
        if (
            passage.id != f"{article.id}#{passage.ordinal}"
            or (passage.title, passage.date, passage.url) != (article.title, article.date, article.url)
            or article.body[passage.start : passage.end] != passage.text
        ):
            raise RecordsError(f"passage {passage.id!r} is not its article's text, title, date and url")
        lang = -1 if passage.lang is None else langs.setdefault(passage.lang, len(langs))
        passage_rows[row] = (index, passage.ordinal, passage.start, passage.end, passage.n_tokens, lang)
    sentence_rows = np.zeros(len(sentences), dtype=SENTENCE_DTYPE)
    for row, sentence in enumerate(sentences):
        index = code.get(sentence.article_id)
        if index is None:
            raise RecordsError(f"a sentence cites article {sentence.article_id!r}, which is not stored")
        sentence_rows[row] = (index, sentence.start, sentence.end)
    for name, column in (("passages", passage_rows["article"]), ("sentences", sentence_rows["article"])):
        if len(column) > 1 and bool((np.diff(column) < 0).any()):
            raise RecordsError(f"{name} are not grouped by article in the articles' order")
    header = RecordsHeader(articles=metas, langs=list(langs))
    return Columns(header, b"".join(blobs), passage_rows, sentence_rows)


def map_blob(path: Path) -> mmap.mmap | bytes:
    """The file's bytes through a read-only map (an empty file cannot be mapped)."""
    with path.open("rb") as handle:
        if path.stat().st_size == 0:
            return b""
        return mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)


class SegmentRecords:
    """One segment's records as read: article metadata, the mapped bodies, passage and sentence columns."""

    def __init__(
        self, header: RecordsHeader, bodies: mmap.mmap | bytes, passages: npt.NDArray[Any], sentences: npt.NDArray[Any]
    ) -> None:
        self.metas = header.articles
        self.langs = header.langs
        self._bodies = bodies
        self.passage_article: Int32s = np.ascontiguousarray(passages["article"], dtype=np.int32)
        self.passage_ordinal: Int32s = np.ascontiguousarray(passages["ordinal"], dtype=np.int32)
        self.passage_start: Int64s = np.ascontiguousarray(passages["start"], dtype=np.int64)
        self.passage_end: Int64s = np.ascontiguousarray(passages["end"], dtype=np.int64)
        self.passage_tokens: Int32s = np.ascontiguousarray(passages["n_tokens"], dtype=np.int32)
        self.passage_lang = np.ascontiguousarray(passages["lang"], dtype=np.int16)
        self.sentence_article: Int32s = np.ascontiguousarray(sentences["article"], dtype=np.int32)
        self.sentence_start: Int64s = np.ascontiguousarray(sentences["start"], dtype=np.int64)
        self.sentence_end: Int64s = np.ascontiguousarray(sentences["end"], dtype=np.int64)
        self._check()

    def _check(self) -> None:
        """Cross-references hold: every row names a stored article and language, bodies lie inside the blob."""
        n = len(self.metas)
        for name, column in (("passages", self.passage_article), ("sentences", self.sentence_article)):
            if len(column) and (int(column.min()) < 0 or int(column.max()) >= n):
                raise RecordsError(f"{name} refer to articles that are not in the segment")
        if len(self.passage_lang) and (
            int(self.passage_lang.min()) < -1 or int(self.passage_lang.max()) >= len(self.langs)
        ):
            raise RecordsError("passages name languages the segment does not list")
        for name, column in (("passages", self.passage_article), ("sentences", self.sentence_article)):
            if len(column) > 1 and bool((np.diff(column) < 0).any()):
                raise RecordsError(f"{name} are not grouped by article")
        size = len(self._bodies)
        if any(not 0 <= m.body_start <= m.body_end <= size for m in self.metas):
            raise RecordsError("an article's body lies outside the bodies file")

    @property
    def article_ids(self) -> list[str]:
        return [m.id for m in self.metas]

    def article(self, index: int) -> Article:
        meta = self.metas[index]
        body = bytes(self._bodies[meta.body_start : meta.body_end]).decode("utf-8")
        return Article(
            id=meta.id, title=meta.title, date=meta.date, body=body, source=meta.source,
            content_hash=meta.content_hash, url=meta.url, lang=meta.lang, date_source=meta.date_source,
            alternates=meta.alternates, story=meta.story,
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class ArticleSource:
    """Where each article of a table lives: segment ``part[i]``, article ``local[i]`` there."""

    ids: list[str]
    part: Int32s
    local: Int32s
    segments: Sequence[SegmentRecords]


class ArticleTable(Mapping[str, Article]):
    """Articles by id, in index order; each built from its segment when asked for (recent ones cached)."""

    def __init__(self, source: ArticleSource) -> None:
        self._source = source
        self.ids = source.ids
        self._code = {article_id: code for code, article_id in enumerate(source.ids)}
        self._cached = functools.lru_cache(maxsize=_ARTICLE_CACHE)(self._build)

    @classmethod
    def of_segment(cls, records: SegmentRecords) -> ArticleTable:
        n = len(records.metas)
        return cls(ArticleSource(records.article_ids, np.zeros(n, np.int32), np.arange(n, dtype=np.int32), [records]))

    def _build(self, code: int) -> Article:
        source = self._source
        return source.segments[int(source.part[code])].article(int(source.local[code]))

    def code(self, article_id: str) -> int | None:
        """The article's position in index order, ``None`` if absent."""
        return self._code.get(article_id)

    def at(self, code: int) -> Article:
        return self._cached(code)

    def meta(self, code: int) -> ArticleMeta:
        source = self._source
        return source.segments[int(source.part[code])].metas[int(source.local[code])]

    def __getitem__(self, article_id: str) -> Article:
        code = self._code.get(article_id)
        if code is None:
            raise KeyError(article_id)
        return self._cached(code)

    def __contains__(self, article_id: object) -> bool:
        return article_id in self._code

    def __iter__(self) -> Iterator[str]:
        return iter(self.ids)

    def __len__(self) -> int:
        return len(self.ids)

    def days(self) -> Int32s:
        """Each article's date as a proleptic ordinal, ``NO_DAY`` when undated."""
        dates = [self.meta(code).date for code in range(len(self))]
        return np.array([dt.date.fromisoformat(d).toordinal() if d else NO_DAY for d in dates], dtype=np.int32)


class _Rows(Sequence[_Record]):
    """A sequence of records stored as columns: ``table[row]`` builds one record on demand."""

    article: Int32s  # each row's article code (index order); one entry per row

    def _record(self, row: int) -> _Record:
        raise NotImplementedError

    def __len__(self) -> int:
        return len(self.article)

    @overload
    def __getitem__(self, row: int) -> _Record: ...
    @overload
    def __getitem__(self, row: slice) -> list[_Record]: ...
    def __getitem__(self, row: int | slice) -> _Record | list[_Record]:
        if isinstance(row, slice):
            return [self[r] for r in range(*row.indices(len(self)))]
        if row < 0:
            row += len(self)
        if not 0 <= row < len(self):
            raise IndexError(row)
        return self._record(row)

    def __iter__(self) -> Iterator[_Record]:
        return (self._record(row) for row in range(len(self)))

    def __eq__(self, other: object) -> bool:
        # Equal to any sequence of the same records, as the list it replaces was.
        if isinstance(other, (_Rows, list, tuple)):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]


class PassageTable(_Rows[Passage]):
    """Passages in row order as columns; ``table[row]`` builds the ``Passage`` from its article."""

    def __init__(
        self,
        articles: ArticleTable,
        article: Int32s,
        ordinal: Int32s,
        start: Int64s,
        end: Int64s,
        tokens: Int32s,
        lang: npt.NDArray[np.int16],
        langs: Sequence[str],
    ) -> None:
        self.articles = articles
        self.article = article  # the article's code in ``articles`` (index order)
        self.ordinal, self.start, self.end, self.tokens, self.lang = ordinal, start, end, tokens, lang
        self.langs = list(langs)
        # Passages of one article are consecutive rows: article code c holds rows first[c]:first[c + 1].
        self.first = np.searchsorted(article, np.arange(len(articles) + 1)).astype(np.int64)

    @classmethod
    def of_segment(cls, records: SegmentRecords, articles: ArticleTable) -> PassageTable:
        return cls(
            articles, records.passage_article, records.passage_ordinal, records.passage_start, records.passage_end,
            records.passage_tokens, records.passage_lang, records.langs,
        )  # fmt: skip

    def _record(self, row: int) -> Passage:
        article = self.articles.at(int(self.article[row]))
        start, end, ordinal = int(self.start[row]), int(self.end[row]), int(self.ordinal[row])
        code = int(self.lang[row])
        return Passage(
            id=f"{article.id}#{ordinal}", article_id=article.id, ordinal=ordinal, title=article.title,
            date=article.date, start=start, end=end, n_tokens=int(self.tokens[row]), text=article.body[start:end],
            url=article.url, lang=None if code < 0 else self.langs[code],
        )  # fmt: skip

    def rows_of(self, article_id: str) -> range:
        """The rows of the article's passages (empty for an unknown id)."""
        code = self.articles.code(article_id)
        return range(0) if code is None else range(int(self.first[code]), int(self.first[code + 1]))

    def row_of(self, passage_id: str) -> int | None:
        """The row of the passage ``<article_id>#<ordinal>``, ``None`` if there is none."""
        article_id, mark, _ = passage_id.rpartition("#")
        if not mark:
            return None
        for row in self.rows_of(article_id):
            if f"{article_id}#{int(self.ordinal[row])}" == passage_id:
                return row
        return None

    def article_ids(self) -> list[str]:
        """Each row's article id (one string per row: for build-time bookkeeping, not serving)."""
        ids = self.articles.ids
        return [ids[code] for code in self.article.tolist()]


class SentenceTable(_Rows[Sentence]):
    """Sentences in row order as columns; ``table[row]`` builds the ``Sentence``."""

    def __init__(self, articles: ArticleTable, article: Int32s, start: Int64s, end: Int64s) -> None:
        self.articles = articles
        self.article, self.start, self.end = article, start, end
        self.first = np.searchsorted(article, np.arange(len(articles) + 1)).astype(np.int64)

    @classmethod
    def of_segment(cls, records: SegmentRecords, articles: ArticleTable) -> SentenceTable:
        return cls(articles, records.sentence_article, records.sentence_start, records.sentence_end)

    def _record(self, row: int) -> Sentence:
        article_id = self.articles.ids[int(self.article[row])]
        return Sentence(article_id=article_id, start=int(self.start[row]), end=int(self.end[row]))

    def row_of(self, article_id: str, start: int, end: int) -> int:
        """The row of the sentence ``body[start:end]`` of the article, -1 if it was not stored."""
        code = self.articles.code(article_id)
        if code is None:
            return -1
        first, last = int(self.first[code]), int(self.first[code + 1])
        hits = np.flatnonzero((self.start[first:last] == start) & (self.end[first:last] == end))
        return first + int(hits[0]) if len(hits) else -1
