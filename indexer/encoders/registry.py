"""The encoder registry: which backend builds and serves an index, and loading a model on it.

Backends: ``torch`` (sentence-transformers), ``onnx`` and ``onnx-int8`` (onnxruntime),
``torch-bf16`` (the transformer in bfloat16, for indexing on CPUs that compute it natively).
Each lives in a module of its own and is imported only when chosen, so serving an ONNX index
never imports torch.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from indexer.encoders.base import Encoder
from indexer.errors import IndexMismatchError, ModelLoadError

Backend = Literal["torch", "onnx", "onnx-int8", "torch-bf16"]
BACKENDS: tuple[Backend, ...] = ("torch", "onnx", "onnx-int8", "torch-bf16")
# Chosen by measurement (docs/performance.md, "Indexing"; docs/index-format.md, "Encoder backends"): the fp32
# ONNX export gives torch's vectors (cosine >= 0.99999) at a fraction of the time.
DEFAULT_BACKEND: Backend = "onnx"
# ``--backend auto``, accepted where scripts still pass it: the default. The default is one backend
# on every machine and engine because the backend is part of the version: a choice made by the
# CPU would give the same articles another version (and other vectors) on another machine.
AUTO = "auto"
# Where exported ONNX files are cached when no directory is given: beside the index.
ENCODER_CACHE = "encoders"
CACHE_ENV = "POLYSEARCH_ENCODER_CACHE"

Notify = Callable[[str], None]

# torch and the fp32 export compute the same function (cosine >= 0.99999 on real texts), so an
# index built by one is searched by the other; int8 vectors differ (cosine ~0.99) and rank
# differently, so an int8 index needs int8 queries and the other way round.
# bfloat16 vectors have cosine >= 0.9999 to float32's and rank the question sets alike
# (docs/performance.md, "Indexing"), so they are float32 vectors for searching.
_VECTOR_FAMILY: dict[str, str] = {"torch": "fp32", "onnx": "fp32", "onnx-int8": "int8", "torch-bf16": "fp32"}


# Queries come one short text at a time, where onnxruntime answers in milliseconds and needs
# no torch import at start: an index built in bfloat16 is served by the fp32 export.
_SERVING_BACKEND: dict[str, Backend] = {"torch-bf16": "onnx"}


def resolve_backend(text: str) -> Backend:
    """``text`` as a backend, ``auto`` meaning ``DEFAULT_BACKEND``; ``ValueError`` otherwise.

    Never decided by this CPU: ``torch-bf16`` is faster only where bfloat16 runs in hardware and
    its vectors differ, so it is built only when asked for (docs/performance.md, "Indexing").
    """
    return DEFAULT_BACKEND if text == AUTO else parse_backend(text)


def serving_backend(index_backend: str) -> str:
    """What encodes queries for an index built by ``index_backend`` unless POLYSEARCH_BACKEND says."""
    return _SERVING_BACKEND.get(index_backend, index_backend)


def parse_backend(text: str) -> Backend:
    """``text`` as a backend name; ``ValueError`` naming the choices otherwise."""
    if text not in BACKENDS:
        raise ValueError(f"unknown encoder backend {text!r}; choose one of {', '.join(BACKENDS)}")
    return text


def backend_of(encoder: Encoder) -> str:
    """The backend an encoder runs on; encoders that do not say (test fakes) count as ``torch``."""
    return str(getattr(encoder, "backend", "torch"))


def compatible(index_backend: str, query_backend: str) -> bool:
    """Whether queries encoded by ``query_backend`` may search vectors made by ``index_backend``."""
    family = _VECTOR_FAMILY.get(index_backend)
    return family is not None and family == _VECTOR_FAMILY.get(query_backend)


def check_compatible(index_backend: str, query_backend: str) -> None:
    if not compatible(index_backend, query_backend):
        raise IndexMismatchError(
            f"index vectors were made by the {index_backend!r} encoder backend, which the {query_backend!r} "
            f"backend cannot search (compatible: {', '.join(sorted(_compatible_with(index_backend))) or 'none'}); "
            f"serve it with POLYSEARCH_BACKEND={index_backend} or rebuild it with --backend {query_backend}"
        )


def _compatible_with(index_backend: str) -> set[str]:
    return {b for b in BACKENDS if compatible(index_backend, b)}


def encoder_cache_dir(index_dir: Path) -> Path:
    """Where exported ONNX files live: ``$POLYSEARCH_ENCODER_CACHE`` or ``<index>/encoders``."""
    configured = os.environ.get(CACHE_ENV, "").strip()
    return Path(configured).expanduser() if configured else index_dir / ENCODER_CACHE


def load_encoder(
    name_or_path: str | None,
    *,
    backend: str,
    cache_dir: Path,
    threads: int | None = None,
    notify: Notify | None = None,
) -> Encoder:
    """The model ``name_or_path`` on ``backend``; ONNX files are exported into ``cache_dir`` once.

    ``threads`` caps an ONNX session's intra-op threads (default: the cores this process may
    use); ``notify`` hears a one-line message before a slow, one-off export starts.
    """
    try:
        chosen = parse_backend(backend)
    except ValueError as exc:
        raise ModelLoadError(str(exc)) from None
    if chosen == "torch-bf16":
        from indexer.encoders.bf16_backend import Bf16Encoder

        return Bf16Encoder(name_or_path, threads=threads)
    if chosen == "torch":
        from indexer.encoders.torch_backend import SentenceTransformerEncoder

        return SentenceTransformerEncoder(name_or_path)
    from indexer.encoders.onnx_backend import OnnxEncoder

    return OnnxEncoder(
        name_or_path, quantized=chosen == "onnx-int8", cache_dir=cache_dir, threads=threads, notify=notify
    )
