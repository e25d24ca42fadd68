"""Cross-request dynamic batching of query encoding: concurrent queries share one model call.

Up to ``workers`` model calls run at a time. A query that arrives while a worker is free is
encoded at once, alone (no timer, no waiting for company); queries that arrive while every
worker is busy queue up and are encoded together by the next free one. Under load the batch
size grows with the queue, so throughput rises; a lone request pays nothing extra.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from indexer.encoders.base import Encoder, Vectors
from service.admission import Ticket, check_deadline, current_ticket
from service.compute import ComputePool
from service.errors import DeadlineExceededError

EncodeBatch = Callable[[list[str]], Vectors]

# Short queries batch well: 16 at once cost 3.4 ms a query against 5.5 ms alone on two ONNX threads
# (docs/performance.md, "16 clients against one"); a bigger cap makes a request that just missed a
# batch wait longer for the next.
DEFAULT_MAX_BATCH = 32


class EncoderClosedError(RuntimeError):
    """The batching encoder was closed while a query was waiting for its vector."""


@dataclass(slots=True)
class BatchStats:
    """Counters for benchmarks and logs: how much batching actually happened."""

    requests: int = 0
    batches: int = 0
    largest_batch: int = 0


_Waiter = tuple[str, "asyncio.Future[Vectors]", Ticket | None]


class BatchingEncoder:
    """``await encode(text)`` -> one unit vector; concurrent callers are batched together.

    Must be used from one event loop. Model calls run in ``executor`` (by default a private
    pool of ``workers`` threads). With single-threaded torch, one worker per core lets two
    small batches use both cores at moderate load, where one worker would leave a core idle.
    """

    def __init__(
        self,
        encode_batch: EncodeBatch,
        *,
        max_batch: int = DEFAULT_MAX_BATCH,
        workers: int = 1,
        executor: Executor | None = None,
    ) -> None:
        if max_batch < 1:
            raise ValueError(f"max_batch must be at least 1, got {max_batch}")
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        self._encode_batch = encode_batch
        self.max_batch = max_batch
        self.workers = workers
        self._owns_executor = executor is None
        self._executor: Executor = executor or ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix="query-encoder"
        )
        self._pending: list[_Waiter] = []
        self._running: set[asyncio.Task[None]] = set()
        self._closed = False
        self.stats = BatchStats()

    @classmethod
    def for_encoder(
        cls,
        encoder: Encoder,
        *,
        max_batch: int = DEFAULT_MAX_BATCH,
        workers: int = 1,
        executor: Executor | None = None,
    ) -> BatchingEncoder:
        """Batch calls to ``encoder.encode``, one model forward pass per batch."""

        def encode_batch(texts: list[str]) -> Vectors:
            return encoder.encode(texts, batch_size=max(len(texts), 1))

        return cls(encode_batch, max_batch=max_batch, workers=workers, executor=executor)

    async def encode(self, text: str) -> Vectors:
        """The vector of ``text``, encoded together with whatever else is queued."""
        if self._closed:
            raise EncoderClosedError("the query encoder is closed")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Vectors] = loop.create_future()
        self._pending.append((text, future, current_ticket()))
        self.stats.requests += 1
        if len(self._running) < self.workers:
            # Started on demand, so an idle service has no task spinning and a query that
            # finds a worker free reaches the model on the next turn of the event loop.
            worker = loop.create_task(self._drain())
            self._running.add(worker)
            worker.add_done_callback(self._running.discard)
        return await future

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        while self._pending:
            taken, self._pending = self._pending[: self.max_batch], self._pending[self.max_batch :]
            # A caller that gave up (client disconnected, timeout) costs no model time, nor
            # does one whose deadline passed while it queued: it is answered 503 instead.
            batch = [waiter for waiter in taken if not waiter[1].done() and not _late(waiter)]
            if not batch:
                continue
            self.stats.batches += 1
            self.stats.largest_batch = max(self.stats.largest_batch, len(batch))
            try:
                vectors = await loop.run_in_executor(self._executor, self._encode_batch, [text for text, _, _ in batch])
                if len(vectors) != len(batch):
                    raise RuntimeError(f"encoder returned {len(vectors)} vectors for {len(batch)} texts")
            except asyncio.CancelledError:
                _fail(batch, EncoderClosedError("the query encoder was closed during encoding"))
                raise
            except Exception as exc:  # every waiter of the batch sees the model's own error
                _fail(batch, exc)
                continue
            for (_, future, _), vector in zip(batch, vectors, strict=True):
                if not future.done():
                    future.set_result(np.asarray(vector))

    async def aclose(self) -> None:
        """Stop the workers and fail anything still queued; idempotent."""
        self._closed = True
        workers, self._running = list(self._running), set()
        for worker in workers:
            worker.cancel()
        for worker in workers:
            with contextlib.suppress(asyncio.CancelledError):
                await worker
        pending, self._pending = self._pending, []
        _fail(pending, EncoderClosedError("the query encoder is closed"))
        if self._owns_executor:
            self._executor.shutdown(wait=False, cancel_futures=True)


def _late(waiter: _Waiter) -> bool:
    try:
        check_deadline(waiter[2])
    except DeadlineExceededError as exc:
        waiter[1].set_exception(exc)
        return True
    return False


def _fail(waiters: list[_Waiter], exc: BaseException) -> None:
    for _, future, _ in waiters:
        if not future.done():
            future.set_exception(exc)


def batched_query_encoder(encoder: Encoder, pool: ComputePool) -> BatchingEncoder:
    """The service's query encoder: cross-request batches on model threads of their own.

    As many workers as the compute pool has threads (one per core, each torch call using one
    thread by default), but not the pool itself: a batch queued there behind searches would
    delay every query in it.
    """
    return BatchingEncoder.for_encoder(encoder, workers=pool.threads)
