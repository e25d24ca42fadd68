"""CPU work off the event loop: a bounded thread pool, thread settings, and the query encoder.

Encoding, search and answer extraction are CPU-bound; run on the event loop they would stall
every other request, including /health. They run in one pool with a thread per core: torch,
faiss and numpy release the GIL while they compute, so threads use the cores without the
memory cost (one model copy per process) or the fork hazards of a process pool.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, Protocol, TypeVar

from indexer.encoders.base import Encoder, Vectors
from service.admission import Ticket, check_deadline, current_ticket

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")


def prepare_environment() -> None:
    """Set before the model or any worker starts.

    Hugging Face tokenizers start their own thread pool; a process forked after that pool
    exists deadlocks on first use (the fork copies the lock, not the threads). We parallelise
    across requests instead, so its pool is switched off. Never reach for the network either.
    """
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def configure_threads(torch_threads: int, *, load_torch: bool) -> None:
    """Intra-op threads per call, so ``compute_threads`` concurrent calls do not oversubscribe.

    ``load_torch`` is false when a test injects a fake encoder: importing torch just to set
    a thread count would cost seconds.
    """
    import faiss

    faiss.omp_set_num_threads(torch_threads)
    # Only once the torch backend has imported it: an ONNX encoder never needs torch, and
    # importing it just to set a thread count costs seconds of cold start and ~200 MiB.
    if load_torch and "torch" in sys.modules:
        import torch

        torch.set_num_threads(torch_threads)
    log.info("threads_configured", extra={"torch_threads": torch_threads, "torch": load_torch})


class ComputePool:
    """A fixed number of threads for CPU work; requests beyond it wait their turn in a queue.

    The queue is bounded by admission control (service/admission.py), and a job whose
    request's deadline passed while it waited is dropped when its turn comes, unstarted.
    """

    def __init__(self, threads: int) -> None:
        self.threads = threads
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="polysearch-compute")

    async def run(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._executor, functools.partial(_unless_late, current_ticket(), fn, *args, **kwargs)
        )

    def shutdown(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)


def _unless_late(ticket: Ticket | None, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    check_deadline(ticket)
    return fn(*args, **kwargs)


class QueryEncoder(Protocol):
    """The one way the service turns query text into a vector (so batching can live here)."""

    async def encode(self, text: str) -> Vectors:
        """The unit vector of one query."""
        ...

    async def aclose(self) -> None:
        """Release resources; queries still waiting fail."""
        ...


QueryEncoderFactory = Callable[[Encoder, ComputePool], QueryEncoder]


class PooledQueryEncoder:
    """Encodes each query on its own, in the compute pool."""

    def __init__(self, encoder: Encoder, pool: ComputePool) -> None:
        self.encoder = encoder
        self.pool = pool

    async def encode(self, text: str) -> Vectors:
        vectors = await self.pool.run(self.encoder.encode, [text])
        vector: Vectors = vectors[0]
        return vector

    async def aclose(self) -> None:
        return None


def pooled_query_encoder(encoder: Encoder, pool: ComputePool) -> QueryEncoder:
    return PooledQueryEncoder(encoder, pool)
