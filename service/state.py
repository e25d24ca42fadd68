"""The live index: one immutable ``Engine`` swapped atomically when a new index is loaded.

A request takes the current engine once, at its start, and uses only that engine: a reload
replaces the reference for later requests while in-flight ones finish on the index they
began with, and each response reports the version it actually used.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import msgspec

from indexer.answer.answerer import Answerer
from indexer.encoders.base import Encoder
from indexer.encoders.registry import backend_of, check_compatible, encoder_cache_dir, load_encoder, serving_backend
from indexer.errors import PolysearchError
from indexer.models import Manifest, ModelInfo
from indexer.search.retriever import Retriever
from indexer.store.layout import live_version_dir, read_manifest
from indexer.store.loaded import LoadedIndex
from indexer.store.reader import load_index, verify_deferred
from service.compute import ComputePool, QueryEncoder, QueryEncoderFactory
from service.errors import NotReadyError, ReloadError

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Engine:
    """A verified index with everything that serves it; never mutated after construction."""

    retriever: Retriever
    answerer: Answerer
    queries: QueryEncoder

    @property
    def version(self) -> str:
        return self.retriever.version

    @property
    def passages(self) -> int:
        return len(self.retriever.index.passages)

    @property
    def encoder(self) -> Encoder:
        return self.retriever.encoder

    @property
    def fingerprint(self) -> str:
        return manifest_fingerprint(self.retriever.index.manifest)


def manifest_fingerprint(manifest: Manifest) -> str:
    """Identity of a version's content: the manifest holds every file's checksum and the build time.

    The version name alone is not enough: a damaged version is rebuilt under the same name, and
    a reload must then replace it.
    """
    return hashlib.sha256(msgspec.json.encode(manifest)).hexdigest()


@dataclass(frozen=True, slots=True)
class ReloadOutcome:
    engine: Engine
    previous_version: str | None
    reloaded: bool
    seconds: float


class IndexState:
    """Holds the live engine; ``load`` and ``reload`` build a new one beside it and swap."""

    def __init__(
        self,
        index_dir: Path,
        *,
        pool: ComputePool,
        query_encoder_factory: QueryEncoderFactory,
        encoder: Encoder | None = None,
        backend: str | None = None,
        prepare_index: Callable[[LoadedIndex], LoadedIndex] | None = None,
    ) -> None:
        self.index_dir = index_dir
        self._prepare_index = prepare_index
        self.backend = backend
        self.pool = pool
        self._query_encoder_factory = query_encoder_factory
        self._injected_encoder = encoder
        self._engine: Engine | None = None
        self._query_encoders: list[QueryEncoder] = []
        self._reload_lock = asyncio.Lock()
        self._verifying: asyncio.Task[None] | None = None
        self._warming: asyncio.Task[None] | None = None
        self._closing = False
        self.load_error: str | None = None
        self.reloads: dict[str, int] = {"ok": 0, "failed": 0, "unchanged": 0}

    @property
    def engine(self) -> Engine:
        """The live engine; ``NotReadyError`` (503) before a verified index is loaded."""
        engine = self._engine
        if engine is None:
            reason = f": {self.load_error}" if self.load_error else ""
            raise NotReadyError(f"the index is not loaded yet{reason}")
        return engine

    @property
    def ready(self) -> bool:
        return self._engine is not None

    def peek(self) -> Engine | None:
        return self._engine

    def _encoder_for(self, model: ModelInfo) -> Encoder:
        if self._injected_encoder is not None:
            return self._injected_encoder
        # POLYSEARCH_BACKEND if set (refused when the index's vectors need another), else what serves
        # the manifest's (itself, or onnx for an index built in bfloat16).
        backend = self.backend or serving_backend(model.backend)
        check_compatible(model.backend, backend)
        current = self._engine
        # Same model as the live index: share it instead of holding two copies in memory.
        if current is not None and current.encoder.name == model.name and backend_of(current.encoder) == backend:
            return current.encoder
        return load_encoder(model.name, backend=backend, cache_dir=encoder_cache_dir(self.index_dir))

    def _query_encoder_for(self, encoder: Encoder) -> QueryEncoder:
        current = self._engine
        if current is not None and current.encoder is encoder:
            return current.queries
        queries = self._query_encoder_factory(encoder, self.pool)
        self._query_encoders.append(queries)
        return queries

    def build(self, *, defer_checksums: bool = False) -> Engine:
        """Load and verify the index ``CURRENT`` names; blocking, so call it in a thread.

        Verification is the store's checksums plus the retriever's model probe: a new engine
        exists only if every file matches its manifest and the model reproduces its vectors.
        ``defer_checksums`` (the first load) leaves the large files' checksums to ``verify_later``.
        """
        manifest = read_manifest(live_version_dir(self.index_dir))
        encoder = self._encoder_for(manifest.model)
        if self._prepare_index is None:
            retriever = Retriever.open(self.index_dir, encoder=encoder, defer_checksums=defer_checksums)
        else:
            # A Ray replica with dense shards: the version is searched on them (indexer/engines).
            index = load_index(self.index_dir, defer_checksums=defer_checksums)
            retriever = Retriever(self._prepare_index(index), encoder)
        if not defer_checksums:
            # A reload: the live engine serves meanwhile, so the scores are computed now, not by queries.
            retriever.index.keyword.precompute()
        return Engine(retriever=retriever, answerer=Answerer(retriever), queries=self._query_encoder_for(encoder))

    def live_version_on_disk(self) -> str:
        return read_manifest(live_version_dir(self.index_dir)).version

    def live_fingerprint_on_disk(self) -> str:
        return manifest_fingerprint(read_manifest(live_version_dir(self.index_dir)))

    async def load(self) -> Engine:
        """The first load, at startup; a failure is kept as the reason /ready gives."""
        started = time.perf_counter()
        try:
            # Sizes of every file and checksums of the small ones now; the large files' checksums
            # (~95 % of the bytes, a second or more at 100k passages) right after, in the background.
            engine = await asyncio.to_thread(self.build, defer_checksums=True)
        except Exception as exc:  # anything, not only our own errors: /ready must say why
            self.load_error = _reason(exc)
            log.error("index_load_failed", extra={"index_dir": str(self.index_dir), "reason": self.load_error})
            raise
        self._engine = engine
        self.load_error = None
        log.info(
            "index_loaded",
            extra={
                "version": engine.version,
                "passages": engine.passages,
                "seconds": round(time.perf_counter() - started, 3),
            },
        )
        self._verifying = asyncio.create_task(self._after_ready(engine))
        return engine

    async def _after_ready(self, engine: Engine) -> None:
        """What the first load leaves until /ready says yes: large files' checksums, then every BM25 score."""
        if engine.retriever.index.unverified:
            await self.verify_later(engine)
        if self._engine is engine:
            # Until then each query computes the keyword columns it reads (indexer.store.keyword._Part).
            started = time.perf_counter()
            await asyncio.to_thread(engine.retriever.index.keyword.precompute)
            log.info(
                "keyword_scores_computed",
                extra={"version": engine.version, "seconds": round(time.perf_counter() - started, 3)},
            )
        await self._warm_sentences(engine)

    async def _warm_sentences(self, engine: Engine) -> None:
        """Sentence vectors a lazy build left out, newest articles first, until done, replaced or closing."""
        started = time.perf_counter()

        def stop() -> bool:
            return self._closing or self._engine is not engine

        filled = await asyncio.to_thread(engine.retriever.warm_sentences, stop=stop)
        if filled:
            log.info(
                "sentence_vectors_warmed",
                extra={"version": engine.version, "sentences": filled,
                       "encoded": engine.retriever.sentence_store.encoded,
                       "seconds": round(time.perf_counter() - started, 3)},
            )  # fmt: skip

    async def verify_later(self, engine: Engine) -> None:
        """Check the checksums the first load deferred; on damage stop serving that engine (/ready says why)."""
        started = time.perf_counter()
        index = engine.retriever.index
        try:
            await asyncio.to_thread(verify_deferred, index)
        except PolysearchError as exc:
            reason = _reason(exc)
            if self._engine is engine:
                # Refused as a load failure would have been: searches get 503, the follower
                # loads the next version a build writes.
                self._engine = None
                self.load_error = reason
            log.error("index_verify_failed", extra={"version": engine.version, "reason": reason})
            return
        log.info(
            "index_verified",
            extra={"version": engine.version, "files": len(index.unverified),
                   "seconds": round(time.perf_counter() - started, 3)},
        )  # fmt: skip

    async def reload(self) -> ReloadOutcome:
        """Load the index on disk beside the live one and swap it in; on failure keep the old one."""
        async with self._reload_lock:
            started = time.perf_counter()
            previous = self._engine
            previous_version = previous.version if previous is not None else None
            try:
                on_disk = await asyncio.to_thread(self.live_fingerprint_on_disk)
                if previous is not None and on_disk == previous.fingerprint:
                    self.reloads["unchanged"] += 1
                    return ReloadOutcome(previous, previous_version, False, time.perf_counter() - started)
                engine = await asyncio.to_thread(self.build)
            except Exception as exc:  # whatever broke, the old engine keeps serving
                self.reloads["failed"] += 1
                log.error("index_reload_failed", extra={"reason": _reason(exc), "serving": previous_version})
                keeping = f"; still serving {previous_version}" if previous_version else ""
                raise ReloadError(f"{_reason(exc)}{keeping}") from exc
            # The swap: one reference assignment, atomic for every reader.
            self._engine = engine
            self.load_error = None
            self.reloads["ok"] += 1
            self._warming = asyncio.create_task(self._warm_sentences(engine))
            seconds = time.perf_counter() - started
            log.info(
                "index_reloaded",
                extra={"version": engine.version, "previous": previous_version, "seconds": round(seconds, 3)},
            )
            return ReloadOutcome(engine, previous_version, True, seconds)

    async def aclose(self) -> None:
        self._closing = True
        for task in (self._verifying, self._warming):
            if task is not None:
                with contextlib.suppress(BaseException):
                    await task
        for queries in self._query_encoders:
            await queries.aclose()
        self._query_encoders.clear()


def _reason(exc: Exception) -> str:
    # Our own errors carry a sentence for people; anything else gets its type for context.
    return str(exc) if isinstance(exc, PolysearchError) else f"{type(exc).__name__}: {exc}"
