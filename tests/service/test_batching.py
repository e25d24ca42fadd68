"""The query batcher: concurrent calls share one model call, a lone call is not held back."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any, TypeVar

import numpy as np
import pytest

from indexer.encoders.base import Vectors
from service.batching import BatchingEncoder, EncoderClosedError
from tests.fakes import FakeEncoder

T = TypeVar("T")


class InlineExecutor(Executor):
    """Runs work in the calling thread, so a test controls every step of the event loop."""

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        future: Future[T] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:
            future.set_exception(exc)
        return future


class RecordingModel:
    """A batch encode function that records each batch it was given."""

    def __init__(self) -> None:
        self.fake = FakeEncoder()
        self.batches: list[list[str]] = []

    def __call__(self, texts: list[str]) -> Vectors:
        self.batches.append(list(texts))
        return self.fake.encode(texts)


def test_concurrent_calls_share_one_model_call() -> None:
    model = RecordingModel()
    batcher = BatchingEncoder(model, executor=InlineExecutor())
    texts = [f"query number {i}" for i in range(5)]

    async def run() -> list[Vectors]:
        return await asyncio.gather(*(batcher.encode(t) for t in texts))

    asyncio.run(run())
    assert model.batches == [texts]
    assert (batcher.stats.requests, batcher.stats.batches, batcher.stats.largest_batch) == (5, 1, 5)


def test_results_are_returned_to_their_own_caller_in_order() -> None:
    model = RecordingModel()
    batcher = BatchingEncoder(model, executor=InlineExecutor())
    texts = ["shanghai office", "summit of universities", "delegation from jiangsu", "shanghai office again"]

    async def run() -> list[Vectors]:
        return await asyncio.gather(*(batcher.encode(t) for t in texts))

    vectors = asyncio.run(run())
    expected = FakeEncoder().encode(texts)
    for text, vector, row in zip(texts, vectors, expected, strict=True):
        assert vector.shape == (model.fake.dimension,), text
        np.testing.assert_array_equal(vector, row)


def test_a_lone_call_reaches_the_model_without_waiting_for_company() -> None:
    # With an inline executor the only thing between the call and its result is the event
    # loop itself; a timer-based batcher would still be sleeping after these few turns.
    model = RecordingModel()
    batcher = BatchingEncoder(model, executor=InlineExecutor())

    async def run() -> int:
        task = asyncio.ensure_future(batcher.encode("alone"))
        turns = 0
        while not task.done() and turns < 10:
            await asyncio.sleep(0)
            turns += 1
        assert task.done(), "a lone query was held back"
        return turns

    turns = asyncio.run(run())
    assert turns <= 5
    assert model.batches == [["alone"]]


def test_queries_arriving_during_a_model_call_form_the_next_batch() -> None:
    started, release = threading.Event(), threading.Event()
    batches: list[list[str]] = []
    fake = FakeEncoder()

    def slow_model(texts: list[str]) -> Vectors:
        batches.append(list(texts))
        started.set()
        release.wait()
        return fake.encode(texts)

    async def run() -> None:
        batcher = BatchingEncoder(slow_model, workers=1)  # a real worker thread, as in the service
        first = asyncio.ensure_future(batcher.encode("first"))
        await asyncio.to_thread(started.wait)
        later = [asyncio.ensure_future(batcher.encode(f"later {i}")) for i in range(4)]
        await asyncio.sleep(0)  # let them queue
        release.set()
        await asyncio.gather(first, *later)
        await batcher.aclose()

    asyncio.run(run())
    assert batches == [["first"], ["later 0", "later 1", "later 2", "later 3"]]


def test_a_free_second_worker_takes_a_query_at_once_and_the_rest_queue_for_the_next_free_one() -> None:
    release = threading.Event()
    started: list[threading.Event] = [threading.Event(), threading.Event()]
    batches: list[list[str]] = []
    fake = FakeEncoder()

    def slow_model(texts: list[str]) -> Vectors:
        batches.append(list(texts))
        if len(batches) <= 2:
            started[len(batches) - 1].set()
            release.wait()
        return fake.encode(texts)

    async def run() -> None:
        batcher = BatchingEncoder(slow_model, workers=2)
        first = asyncio.ensure_future(batcher.encode("first"))
        await asyncio.to_thread(started[0].wait)
        second = asyncio.ensure_future(batcher.encode("second"))
        # The second worker runs the second query while the first call is still going.
        await asyncio.to_thread(started[1].wait)
        later = [asyncio.ensure_future(batcher.encode(f"later {i}")) for i in range(3)]
        await asyncio.sleep(0)
        release.set()
        await asyncio.gather(first, second, *later)
        await batcher.aclose()

    asyncio.run(run())
    assert batches == [["first"], ["second"], ["later 0", "later 1", "later 2"]]


def test_batches_never_exceed_max_batch() -> None:
    model = RecordingModel()
    batcher = BatchingEncoder(model, max_batch=4, executor=InlineExecutor())

    async def run() -> None:
        await asyncio.gather(*(batcher.encode(f"q{i}") for i in range(10)))

    asyncio.run(run())
    assert [len(b) for b in model.batches] == [4, 4, 2]
    assert [t for b in model.batches for t in b] == [f"q{i}" for i in range(10)]


def test_a_model_error_reaches_every_waiter_of_the_batch_and_the_next_call_works() -> None:
    calls: list[list[str]] = []
    fake = FakeEncoder()

    def flaky(texts: list[str]) -> Vectors:
        calls.append(list(texts))
        if len(calls) == 1:
            raise ValueError("model exploded")
        return fake.encode(texts)

    batcher = BatchingEncoder(flaky, executor=InlineExecutor())

    async def run() -> tuple[list[object], Vectors]:
        failed = await asyncio.gather(*(batcher.encode(f"q{i}") for i in range(3)), return_exceptions=True)
        return failed, await batcher.encode("after")

    failed, after = asyncio.run(run())
    assert all(isinstance(result, ValueError) and str(result) == "model exploded" for result in failed)
    np.testing.assert_array_equal(after, fake.encode(["after"])[0])


def test_a_wrong_number_of_vectors_is_an_error_not_a_misassignment() -> None:
    batcher = BatchingEncoder(lambda texts: FakeEncoder().encode(texts[:1]), executor=InlineExecutor())

    async def run() -> list[object]:
        return await asyncio.gather(*(batcher.encode(f"q{i}") for i in range(3)), return_exceptions=True)

    assert all(isinstance(result, RuntimeError) for result in asyncio.run(run()))


def test_a_cancelled_caller_costs_no_model_time() -> None:
    model = RecordingModel()
    batcher = BatchingEncoder(model, executor=InlineExecutor())

    async def run() -> Vectors:
        doomed = asyncio.ensure_future(batcher.encode("gone"))
        kept = asyncio.ensure_future(batcher.encode("kept"))
        await asyncio.sleep(0)  # both queued, worker not yet run
        doomed.cancel()
        return await kept

    asyncio.run(run())
    assert model.batches == [["kept"]]


def test_closing_fails_queued_callers_and_refuses_new_ones() -> None:
    started, release = threading.Event(), threading.Event()
    fake = FakeEncoder()

    def slow_model(texts: list[str]) -> Vectors:
        started.set()
        release.wait()
        return fake.encode(texts)

    async def run() -> tuple[list[object], BaseException | None]:
        batcher = BatchingEncoder(slow_model)
        running = asyncio.ensure_future(batcher.encode("running"))
        await asyncio.to_thread(started.wait)
        queued = asyncio.ensure_future(batcher.encode("queued"))
        await asyncio.sleep(0)
        await batcher.aclose()
        release.set()
        results = await asyncio.gather(running, queued, return_exceptions=True)
        try:
            await batcher.encode("late")
        except EncoderClosedError as exc:
            return results, exc
        return results, None

    results, late = asyncio.run(run())
    assert all(isinstance(result, EncoderClosedError) for result in results)
    assert isinstance(late, EncoderClosedError)


def test_for_encoder_encodes_the_whole_batch_in_one_model_call() -> None:
    fake = FakeEncoder()
    batcher = BatchingEncoder.for_encoder(fake, executor=InlineExecutor())

    async def run() -> None:
        await asyncio.gather(*(batcher.encode(f"q{i}") for i in range(6)))

    asyncio.run(run())
    assert (fake.calls, fake.texts_encoded) == (1, 6)


def test_max_batch_and_workers_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_batch"):
        BatchingEncoder(RecordingModel(), max_batch=0)
    with pytest.raises(ValueError, match="workers"):
        BatchingEncoder(RecordingModel(), workers=0)
