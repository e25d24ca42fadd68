"""Answering search queries over a loaded index: dense, keyword and hybrid ranking."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import numpy.typing as npt

from indexer.encoders.base import Encoder, Vectors, passage_input
from indexer.encoders.registry import backend_of, check_compatible, encoder_cache_dir, load_encoder, serving_backend
from indexer.errors import IndexMismatchError, InvalidQueryError, NotFoundError
from indexer.models import (
    SEARCH_MODES,
    Article,
    ComponentScores,
    Hit,
    Passage,
    SearchFilters,
    SearchMode,
    TimeReading,
)
from indexer.search.fusion import FusionConfig, fuse
from indexer.search.grouping import Versions, story_versions
from indexer.search.query import Query
from indexer.search.sentence_vectors import SentenceVectors
from indexer.store.layout import live_version_dir, read_manifest
from indexer.store.loaded import LoadedIndex
from indexer.store.reader import load_index
from indexer.store.tables import NO_DAY
from indexer.text.language import detect_language, load_detector
from indexer.text.timeexpr import read_time

log = logging.getLogger(__name__)

# Time in the query (docs/how-it-works.md, "Time in the question"): both boosts are shares of
# the best candidate's score, so they never outweigh relevance by more than that share.
# A window the query only hints at ("summer school 2023"): up to 15 % for an article inside
# it, fading with each year outside.
CLOSENESS_WEIGHT = 0.15
CLOSENESS_SCALE_DAYS = 365.0
# "latest": candidates scoring at least half the best are re-ranked by date, the newest
# gaining up to 50 % of the best score and the oldest nothing.
RECENCY_FLOOR = 0.5
RECENCY_WEIGHT = 0.5

# Related news: stories whose mean passage vectors are this close are versions of one story
# (a repost, a near-copy), not other news; similarities equal to two decimals count as equals,
# and among equals the newest comes first.
RELATED_NEAR_COPY = 0.95
RELATED_TIE_DECIMALS = 2

# Re-encoding a stored passage must give (nearly) its stored vector, or the model differs.
_PROBE_MIN_COSINE = 0.98


def _warmed(encoder: Encoder) -> Encoder:
    encoder.encode(["warm-up"])
    return encoder


class Retriever:
    """Loads once, then answers ``search`` from memory; safe to share between threads."""

    def __init__(self, index: LoadedIndex, encoder: Encoder, *, fusion: FusionConfig | None = None) -> None:
        self.index = index
        self.encoder = encoder
        self.fusion = fusion or FusionConfig()
        self._check_model()
        # Sentence vectors the build stored, or (a lazily built index) encoded when first a candidate.
        self.sentence_store = SentenceVectors(index, encoder)
        passages = index.passages
        # Each passage's sentence rows as spans of one flat array: scoring a candidate list is
        # then one gather, one matrix product and one segment max, not a Python loop per passage.
        self._sentence_count, self._sentence_flat = _passage_sentence_rows(index)
        self._sentence_start = np.cumsum(self._sentence_count) - self._sentence_count
        # Filters work on article codes (the index's article order) and days, one entry per row.
        self._row_article = passages.article
        self._row_day = index.articles.days()[passages.article] if len(passages) else np.zeros(0, np.int32)
        # Passages in a language the model does not cover have vectors that mean nothing: they
        # never enter dense candidates and never get a dense score (keyword evidence alone).
        self.languages = frozenset(index.manifest.model.languages)
        load_detector()
        covered_code = np.array([name in self.languages for name in passages.langs] + [True], dtype=bool)
        covered = covered_code[passages.lang.astype(np.int64)]  # -1 (no language recorded) is covered
        self._covered_rows: npt.NDArray[np.int64] | None = None if covered.all() else np.flatnonzero(covered)
        self._row_covered = covered
        self._centroids: tuple[npt.NDArray[np.float32], npt.NDArray[np.bool_]] | None = None
        # Each grouped article's story versions, looked up per result when folding a page.
        self.versions: Versions = story_versions(index.stories.groups())

    @classmethod
    def open(
        cls,
        index_dir: Path,
        *,
        encoder: Encoder | None = None,
        fusion: FusionConfig | None = None,
        backend: str | None = None,
        defer_checksums: bool = False,
    ) -> Retriever:
        """Load and verify ``index_dir``; with no encoder, load the model the index names.

        The encoder runs on ``backend`` if given, else on the backend that serves what the index was
        built with (``indexer.encoders.registry.serving_backend``: the same one, or onnx for torch-bf16).
        ``defer_checksums``: large files' checksums are left to ``indexer.store.verify_deferred``.
        """
        if encoder is None:
            model = read_manifest(live_version_dir(index_dir)).model
            chosen = backend or serving_backend(model.backend)
            check_compatible(model.backend, chosen)
            name, cache = model.name, encoder_cache_dir(index_dir)

            def model_ready() -> Encoder:
                return _warmed(load_encoder(name, backend=chosen, cache_dir=cache))
        else:
            given = encoder

            def model_ready() -> Encoder:
                return _warmed(given)

        # The model's first call (opening the ONNX session, or torch's first pass) and the
        # language detector's model load mostly run in C code that releases the GIL: in threads
        # they overlap the index's numpy work instead of following it (~1 s of cold start).
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="retriever-load") as pool:
            detector = pool.submit(load_detector)
            ready = pool.submit(model_ready)
            index = load_index(index_dir, defer_checksums=defer_checksums)
            detector.result()
            loaded = ready.result()
        return cls(index, loaded, fusion=fusion)

    @property
    def version(self) -> str:
        return self.index.version

    def _check_model(self) -> None:
        manifest = self.index.manifest
        if self.encoder.dimension != manifest.model.dimension:
            raise IndexMismatchError(
                f"index was built with {manifest.model.name!r} ({manifest.model.dimension} dimensions), "
                f"the loaded model {self.encoder.name!r} has {self.encoder.dimension}"
            )
        check_compatible(manifest.model.backend, backend_of(self.encoder))
        if not self.index.passages:
            return
        first = self.index.passages[0]
        probe = self.encoder.encode([passage_input(first.title, first.text)])[0]
        cosine = float(probe @ self.index.embeddings[0].astype(np.float32))
        if cosine < _PROBE_MIN_COSINE:
            raise IndexMismatchError(
                f"index vectors were not made by the loaded model {self.encoder.name!r} "
                f"(index says {manifest.model.name!r}; probe cosine {cosine:.3f})"
            )

    def passage(self, passage_id: str) -> Passage:
        row = self.index.passages.row_of(passage_id)
        if row is None:
            raise NotFoundError(f"no passage {passage_id!r}")
        return self.index.passages[row]

    def article(self, article_id: str) -> Article:
        article = self.index.articles.get(article_id)
        if article is None:
            raise NotFoundError(f"no article {article_id!r}")
        return article

    def article_passages(self, article_id: str) -> list[Passage]:
        """The article's passages in order; ``NotFoundError`` for an unknown id."""
        self.article(article_id)
        passages = self.index.passages
        return [passages[row] for row in passages.rows_of(article_id)]

    def related(self, article_id: str, k: int = 5) -> list[tuple[Article, float]]:
        """Other stories close in content to ``article_id``, with their similarity, best first.

        An article is its passages' mean vector. Versions of its own story (``LoadedIndex.stories``)
        are left out, and so are near-copies (``RELATED_NEAR_COPY``) no story names; another
        story told in several versions is listed once, by its most similar version. An article
        in a language the model does not cover has no meaningful vector: its title's words rank
        the others instead (BM25, best passage).
        """
        code = self.index.articles.code(article_id)
        if code is None:
            raise NotFoundError(f"no article {article_id!r}")
        if k < 1:
            raise InvalidQueryError("k", "must be at least 1")
        centroids, has_vector = self._article_vectors()
        if has_vector[code]:
            scores = (centroids @ centroids[code]).astype(np.float64)
            scores[~has_vector] = -np.inf
        else:
            bm25 = self.index.keyword.scores(self.article(article_id).title)
            scores = np.full(len(self.index.articles), -np.inf)
            np.maximum.at(scores, self._row_article, np.where(bm25 > 0, bm25, -np.inf))
        scores[code] = -np.inf
        for version in self.versions.get(article_id, ()):
            other = self.index.articles.code(version)
            if other is not None:
                scores[other] = -np.inf
        days = self.index.articles.days().astype(np.int64)
        kept = [c for c in np.flatnonzero(np.isfinite(scores) & (scores < RELATED_NEAR_COPY)).tolist()]
        kept.sort(key=lambda c: (-round(float(scores[c]), RELATED_TIE_DECIMALS), -int(days[c]), c))
        related: list[tuple[Article, float]] = []
        seen: set[str] = set()
        for c in kept:
            article = self.index.articles.at(c)
            story = self.versions.get(article.id, (article.id,))[0]
            if story in seen:
                continue
            seen.add(story)
            related.append((article, float(scores[c])))
            if len(related) == k:
                break
        return related

    def _article_vectors(self) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.bool_]]:
        """Each article's unit mean vector over its covered passages, and whether it has one (computed once)."""
        if self._centroids is None:
            n = len(self.index.articles)
            sums = np.zeros((n, self.encoder.dimension), dtype=np.float32)
            rows = np.flatnonzero(self._row_covered)
            np.add.at(sums, self._row_article[rows], self.index.embeddings[rows].astype(np.float32))
            norms = np.linalg.norm(sums, axis=1)
            has = norms > 0
            sums[has] /= norms[has, None]
            self._centroids = (sums, has)
        return self._centroids

    def read(self, text: str, *, today: dt.date | None = None, infer_dates: bool = True) -> Query:
        """``text`` read once for search and answer: trimmed, its language, whether the model covers it,
        and what it says about time against ``today`` (the system clock's day if not given;
        nothing with ``infer_dates`` off).

        The record has no vector yet: the caller encodes it (the service batches queries across
        requests) or leaves that to ``encoded``, and a query the model does not cover needs none.
        """
        text = text.strip()
        if not text:
            raise InvalidQueryError("query", "must not be empty")
        lang = detect_language(text)
        time = read_time(text, today or dt.date.today()) if infer_dates else TimeReading()
        return Query(text=text, lang=lang, covered=self._covers_query(text, lang), time=time)

    def _covers_query(self, text: str, lang: str) -> bool:
        # A query outside the model's languages is ranked by keywords alone; one without any
        # letters ("2016") is not: a number means the same in any language.
        return lang in self.languages or not any(char.isalpha() for char in text)

    def encoded(self, query: Query) -> Query:
        """``query`` with its vector: the one it carries, else encoded now."""
        return query if query.vector is not None else query.with_vector(self.vector(query))

    def vector(self, query: Query) -> Vectors:
        """The vector ``query`` carries, else its text encoded now."""
        if query.vector is not None:
            return query.vector
        vector: Vectors = self.encoder.encode([query.search_text])[0]
        return vector

    def covers(self, passage: Passage) -> bool:
        """Whether the model covers the passage's language (its vectors mean something)."""
        return passage.lang is None or passage.lang in self.languages

    def encode_queries(self, queries: Sequence[str]) -> Vectors:
        return self.encoder.encode(list(queries))

    def sentence_vectors(self, spans: Sequence[tuple[str, int, int]]) -> Vectors:
        """Vectors of ``(article_id, start, end)`` sentences: from ``sentence_store``, encoded if not a stored sentence.

        A passage cut inside a long sentence yields a span the build did not embed.
        """
        rows = [self.index.sentences.row_of(*span) for span in spans]
        vectors = np.zeros((len(spans), self.encoder.dimension), dtype=np.float32)
        stored = [i for i, row in enumerate(rows) if row >= 0]
        if stored:
            vectors[stored] = self.sentence_store[[rows[i] for i in stored]]
        missing = [i for i, row in enumerate(rows) if row < 0]
        if missing:
            texts = [self.article(spans[i][0]).body[spans[i][1] : spans[i][2]] for i in missing]
            vectors[missing] = self.encoder.encode(texts)
        return vectors

    def warm_sentences(self, *, stop: Callable[[], bool] | None = None, chunk: int = 256) -> int:
        """Fill the sentence vectors a lazy build left out (cache, else model), newest articles first; returns how many.

        Run in the background after a load: a question about recent news is the likeliest, and each
        chunk releases the store's lock, so requests interleave. ``stop`` ends it early (a reload).
        """
        sentences = self.index.sentences
        days = self.index.articles.days()[sentences.article] if len(sentences) else np.zeros(0, np.int32)
        order = np.lexsort((np.arange(len(sentences)), -days.astype(np.int64)))
        filled = 0
        for at in range(0, len(order), chunk):
            if stop is not None and stop():
                break
            filled += self.sentence_store.warm(order[at : at + chunk], chunk=chunk)
        return filled

    def search(
        self,
        query: Query | str,
        k: int = 10,
        mode: SearchMode = "hybrid",
        filters: SearchFilters | None = None,
    ) -> list[Hit]:
        """The ``k`` best passages for ``query``; a text is read here (``read``).

        A query without its vector is encoded here if ``mode`` ranks it by the model.
        """
        if isinstance(query, str):
            query = self.read(query)
        if k < 1:
            raise InvalidQueryError("k", "must be at least 1")
        if mode not in SEARCH_MODES:
            raise InvalidQueryError("mode", f"must be one of {', '.join(SEARCH_MODES)}")
        allowed = self._allowed_rows(query.filters(filters))
        if allowed is not None and len(allowed) == 0:
            return []
        depth = max(self.fusion.depth, k)
        if not query.dense(mode):
            mode = "keyword"
        dense_rows: list[int] = []
        keyword: dict[int, float] = {}
        bm25 = np.zeros(0, dtype=np.float32)
        if mode in ("dense", "hybrid"):
            vector = self.vector(query)
            dense_rows = self._dense_rows(vector, depth, self._dense_allowed(allowed))
        if mode in ("keyword", "hybrid"):
            bm25 = self.index.keyword.scores(query.search_text)
            keyword = self._keyword(bm25, depth, allowed)
        if mode == "dense":
            fused = dict(zip(dense_rows, self._dense_scores(dense_rows, vector).tolist()))
            components = {row: ComponentScores(dense=s) for row, s in fused.items()}
        elif mode == "keyword":
            fused, components = keyword, {row: ComponentScores(keyword=s) for row, s in keyword.items()}
        elif allowed is None:
            fused, components = self._hybrid(vector, bm25, dense_rows, keyword)
        else:
            # Fused scores are min-max normalised over the candidates. Normalised over a window's
            # few passages alone, small differences would stretch to the whole scale and reorder
            # them; normalised over the unfiltered candidates too, a filter only hides passages:
            # the window's order is the unfiltered order.
            reference = self._dense_rows(vector, depth, self._dense_allowed(None))
            wide = self._keyword(bm25, depth, None)
            fused, components = self._hybrid(vector, bm25, sorted(set(dense_rows) | set(reference)), keyword | wide)
            inside = set(allowed.tolist())
            fused = {row: score for row, score in fused.items() if row in inside}
        fused = self._timed(fused, query.time)
        ranked = sorted(fused, key=lambda row: (-fused[row], row))[:k]
        return [
            Hit(rank=rank, score=float(fused[row]), scores=components[row], passage=self.index.passages[row])
            for rank, row in enumerate(ranked, start=1)
        ]

    def _timed(self, fused: dict[int, float], time: TimeReading) -> dict[int, float]:
        """``fused`` with the bounded boosts for a hinted window and for "latest" (see the constants)."""
        if not fused or time.is_empty or (time.filter and not time.recency):
            return fused
        rows = np.fromiter(fused, dtype=np.int64, count=len(fused))
        scores = np.fromiter(fused.values(), dtype=np.float64, count=len(fused))
        top = float(scores.max())
        if top <= 0:
            return fused
        days = self._row_day[rows].astype(np.int64)
        dated = days != NO_DAY
        boost = np.zeros(len(rows), dtype=np.float64)
        if not time.filter and (time.date_from is not None or time.date_to is not None):
            low = time.date_from.toordinal() if time.date_from else -(10**9)
            high = time.date_to.toordinal() if time.date_to else 10**9
            gap = np.maximum(0, np.maximum(low - days, days - high))
            boost += np.where(dated, CLOSENESS_WEIGHT * top * np.exp(-gap / CLOSENESS_SCALE_DAYS), 0.0)
        if time.recency:
            eligible = dated & (scores >= RECENCY_FLOOR * top)
            if eligible.any():
                oldest, newest = int(days[eligible].min()), int(days[eligible].max())
                span = max(newest - oldest, 1)
                boost += np.where(eligible, RECENCY_WEIGHT * top * (days - oldest) / span, 0.0)
        return {int(row): float(score + extra) for row, score, extra in zip(rows, scores, boost)}

    def _allowed_rows(self, filters: SearchFilters | None) -> npt.NDArray[np.int64] | None:
        if filters is None or filters.is_empty:
            return None
        mask = np.ones(len(self.index.passages), dtype=bool)
        if filters.article_ids is not None:
            found = (self.index.articles.code(a) for a in filters.article_ids)
            codes = [code for code in found if code is not None]
            mask &= np.isin(self._row_article, np.array(codes, dtype=np.int32))
        if filters.langs is not None:
            names = self.index.passages.langs
            wanted = [code for code, name in enumerate(names) if name in filters.langs]
            mask &= np.isin(self.index.passages.lang, np.array(wanted, dtype=self.index.passages.lang.dtype))
        if filters.date_from is not None or filters.date_to is not None:
            inside = self._row_day != NO_DAY
            if filters.date_from is not None:
                inside &= self._row_day >= filters.date_from.toordinal()
            if filters.date_to is not None:
                inside &= self._row_day <= filters.date_to.toordinal()
            if filters.keep_undated:
                inside |= self._row_day == NO_DAY
            mask &= inside
        return np.flatnonzero(mask).astype(np.int64)

    def _dense_allowed(self, allowed: npt.NDArray[np.int64] | None) -> npt.NDArray[np.int64] | None:
        if self._covered_rows is None:
            return allowed
        if allowed is None:
            return self._covered_rows
        kept: npt.NDArray[np.int64] = allowed[self._row_covered[allowed]]
        return kept

    def _dense_rows(self, vector: Vectors, depth: int, allowed: npt.NDArray[np.int64] | None) -> list[int]:
        """The passages nearest the query by their own vectors; scored by ``_dense_scores``."""
        _, rows = self.index.dense.search(np.asarray(vector, dtype=np.float32), depth, allowed=allowed)
        return [int(row) for row in rows]

    def _dense_scores(self, rows: Sequence[int], vector: Vectors) -> npt.NDArray[np.float32]:
        """Cosine of each passage, blended with the cosine of its best-matching sentence.

        A passage covers several facts; a question asks about one. The best sentence's
        similarity keeps a precise match from being diluted by the rest of the passage.
        """
        query = np.asarray(vector, dtype=np.float32)
        candidates = np.asarray(rows, dtype=np.int64)
        # Stored as float16; widened per candidate so the products run in float32 BLAS.
        passage = self.index.embeddings[candidates].astype(np.float32) @ query
        weight = self.fusion.sentence_weight
        counts = self._sentence_count[candidates]
        total = int(counts.sum())
        if weight <= 0 or total == 0:
            return passage
        # Output segment i holds the sentences of candidate i: its k-th entry is flat row
        # start[candidate] + k.
        segment_start = np.cumsum(counts) - counts
        within = np.arange(total) - np.repeat(segment_start, counts)
        flat = self._sentence_flat[np.repeat(self._sentence_start[candidates], counts) + within]
        similarities = self.sentence_store[flat].astype(np.float32) @ query
        best = passage.copy()
        has = counts > 0
        best[has] = np.maximum.reduceat(similarities, segment_start[has])
        return ((1.0 - weight) * passage + weight * best).astype(np.float32)

    @staticmethod
    def _keyword(
        scores: npt.NDArray[np.float32], depth: int, allowed: npt.NDArray[np.int64] | None
    ) -> dict[int, float]:
        rows = np.arange(len(scores)) if allowed is None else allowed
        candidate = scores[rows]
        # A passage sharing no term with the query scores 0: it does not match, in any mode, so a
        # keyword search with few matches lists few passages instead of filling k in index order.
        keep = candidate > 0
        rows, candidate = rows[keep], candidate[keep]
        if len(rows) > depth:
            # Only rows scoring at least the depth-th best score can make the cut: keep those
            # (ties included) in linear time, then sort that handful by (score, row), so ties
            # never depend on partition order and the corpus is never sorted whole.
            threshold = np.partition(candidate, len(candidate) - depth)[len(candidate) - depth]
            keep = candidate >= threshold
            rows, candidate = rows[keep], candidate[keep]
            order = np.lexsort((rows, -candidate))[:depth]
            rows, candidate = rows[order], candidate[order]
        return {int(row): float(score) for row, score in zip(rows, candidate)}

    def _hybrid(
        self, vector: Vectors, bm25: npt.NDArray[np.float32], dense_rows: list[int], keyword: dict[int, float]
    ) -> tuple[dict[int, float], dict[int, ComponentScores]]:
        union = sorted(set(dense_rows) | keyword.keys())
        # Both component scores are known exactly for every candidate: the vectors are in
        # memory and BM25 scored the whole corpus, so fusion never guesses a missing score.
        # Dense scores are computed here once, over the union, not again per candidate list.
        cosine = self._dense_scores(union, vector)
        dense_full = {row: float(c) for row, c in zip(union, cosine) if self._row_covered[row]}
        keyword_full = {row: float(bm25[row]) for row in union if bm25[row] > 0}
        fused = fuse(dense_full, keyword_full, self.fusion)
        components = {row: ComponentScores(dense=dense_full.get(row), keyword=float(bm25[row])) for row in union}
        return fused, components


def _passage_sentence_rows(index: LoadedIndex) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Each passage's count of sentences lying wholly inside it, and their rows, passage after passage.

    Vectorised over all rows: sentences are sorted by (article, start, end), and a passage's
    candidates are the sentences of its article starting inside it, kept if they also end inside.
    """
    passages, sentences = index.passages, index.sentences
    order = np.lexsort((np.arange(len(sentences)), sentences.end, sentences.start, sentences.article))
    s_article, s_start = sentences.article[order].astype(np.int64), sentences.start[order]
    s_end = sentences.end[order]
    # (article, start) as one sortable key: bodies are far shorter than 2**32 characters.
    scale = np.int64(1) << 32
    keys = s_article * scale + s_start
    p_article = passages.article.astype(np.int64) * scale
    first = np.searchsorted(keys, p_article + passages.start, side="left")
    last = np.searchsorted(keys, p_article + passages.end, side="left")  # sentences starting before the end
    span = last - first
    total = int(span.sum())
    owner = np.repeat(np.arange(len(passages), dtype=np.int64), span)
    candidate = np.repeat(first, span) + (np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(span) - span, span))
    inside = s_end[candidate] <= passages.end[owner]
    counts = np.bincount(owner[inside], minlength=len(passages)).astype(np.int64)
    return counts, order[candidate[inside]].astype(np.int64)
