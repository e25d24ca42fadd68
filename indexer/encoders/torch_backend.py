"""The ``torch`` encoder backend: the model run by sentence-transformers on the CPU."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence

import numpy as np

from indexer.encoders.base import Vectors, resolve_model
from indexer.errors import ModelLoadError

log = logging.getLogger(__name__)


class SentenceTransformerEncoder:
    """A sentence-transformers model on the CPU, producing normalised embeddings."""

    backend = "torch"

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
