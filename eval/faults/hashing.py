"""A deterministic encoder without a model, so the campaign can run many builds in seconds.

The faults exercised here (kills, corruption, a full disk) concern how an index is written and
read, not what its vectors mean; a hashed bag of words exercises every file the real model would.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np

from indexer.encoders.base import Vectors

_WORD = re.compile(r"\w+")


class HashingEncoder:
    """Each word adds +-1 to one of ``dimension`` slots chosen by its hash; rows are unit vectors."""

    name = "hashing-encoder"
    dimension = 64
    max_seq_length = 512

    def _vector(self, text: str) -> Vectors:
        vector = np.zeros(self.dimension, dtype=np.float32)
        for word in _WORD.findall(text.lower()):
            digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
            vector[int.from_bytes(digest[:4], "little") % self.dimension] += 1.0 if digest[4] % 2 else -1.0
        norm = float(np.linalg.norm(vector))
        if norm == 0.0:
            vector[0] = 1.0
            return vector
        return vector / norm

    def encode(self, texts: Sequence[str], *, batch_size: int = 64, show_progress: bool = False) -> Vectors:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([self._vector(text) for text in texts]).astype(np.float32)

    def count_tokens(self, text: str) -> int:
        return len(_WORD.findall(text)) + 2
