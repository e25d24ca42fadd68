"""Encoder backends: ``torch`` (sentence-transformers), ``onnx`` and ``onnx-int8`` (onnxruntime).

The interface stays ``indexer.encoder.Encoder``; each backend lives in a module of its own and
is imported only when chosen, so serving an ONNX index never imports torch.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from indexer.encoder import Encoder
from indexer.errors import IndexMismatchError, ModelLoadError

Backend = Literal["torch", "onnx", "onnx-int8"]
BACKENDS: tuple[Backend, ...] = ("torch", "onnx", "onnx-int8")
# Chosen by measurement (README "Performance", eval/README.md "Encoder backends"): the fp32
# ONNX export gives torch's vectors (cosine >= 0.99999) at a fraction of the time.
DEFAULT_BACKEND: Backend = "onnx"
# Where exported ONNX files are cached when no directory is given: beside the index.
ENCODER_CACHE = "encoders"
CACHE_ENV = "POLYSEARCH_ENCODER_CACHE"

Notify = Callable[[str], None]

# torch and the fp32 export compute the same function (cosine >= 0.99999 on real texts), so an
# index built by one is searched by the other; int8 vectors differ (cosine ~0.99) and rank
# differently, so an int8 index needs int8 queries and the other way round.
_VECTOR_FAMILY: dict[str, str] = {"torch": "fp32", "onnx": "fp32", "onnx-int8": "int8"}


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
    if chosen == "torch":
        # Looked up on the interface module, where it has always been importable from.
        from indexer import encoder as interface

        return interface.SentenceTransformerEncoder(name_or_path)
    from indexer.encoders.onnx_backend import OnnxEncoder

    return OnnxEncoder(
        name_or_path, quantized=chosen == "onnx-int8", cache_dir=cache_dir, threads=threads, notify=notify
    )
