"""An encoder wrapper that remembers every text it embedded.

Every question is encoded once per search mode and again for ``ask``, and the sweep builds
the same passages and sentences setting after setting. The vectors are the wrapped model's
own; only repeated work is skipped, which turns minutes of CPU per sweep into seconds.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from indexer.encoders.base import Encoder, Vectors
from indexer.encoders.registry import backend_of


class CachingEncoder:
    """Same interface as the wrapped encoder; ``encode`` only sends texts it has not seen."""

    def __init__(self, inner: Encoder) -> None:
        self.inner = inner
        self.name = inner.name
        self.dimension = inner.dimension
        self.max_seq_length = inner.max_seq_length
        self.backend = backend_of(inner)
        self._vectors: dict[str, Vectors] = {}

    def encode(self, texts: Sequence[str], *, batch_size: int = 64, show_progress: bool = False) -> Vectors:
        missing = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        if missing:
            fresh = self.inner.encode(missing, batch_size=batch_size, show_progress=show_progress)
            self._vectors.update(zip(missing, fresh, strict=True))
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([self._vectors[t] for t in texts]).astype(np.float32, copy=False)

    def count_tokens(self, text: str) -> int:
        return self.inner.count_tokens(text)
