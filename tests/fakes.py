"""Deterministic stand-ins for the embedding model, so most tests never load torch."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np
import pytest

from indexer.encoders.base import Vectors

_WORD = re.compile(r"\w+")


class FakeEncoder:
    """Hashed bag of words: texts sharing words get similar vectors, and nothing is random.

    It counts calls and texts so tests can assert what a build re-encoded.
    """

    def __init__(self, *, dimension: int = 64, max_seq_length: int = 512, name: str = "fake-encoder") -> None:
        self.name = name
        self.dimension = dimension
        self.max_seq_length = max_seq_length
        self.calls = 0
        self.texts_encoded = 0

    def _vector(self, text: str) -> Vectors:
        vector = np.zeros(self.dimension, dtype=np.float32)
        for word in _WORD.findall(text.lower()):
            digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
            slot = int.from_bytes(digest[:4], "little") % self.dimension
            vector[slot] += 1.0 if digest[4] % 2 else -1.0
        norm = float(np.linalg.norm(vector))
        if norm == 0.0:
            vector[0] = 1.0
            return vector
        return vector / norm

    def encode(self, texts: Sequence[str], *, batch_size: int = 64, show_progress: bool = False) -> Vectors:
        self.calls += 1
        self.texts_encoded += len(texts)
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([self._vector(text) for text in texts]).astype(np.float32)

    def count_tokens(self, text: str) -> int:
        # Two special tokens, like [CLS] and [SEP] of a BERT tokenizer.
        return len(_WORD.findall(text)) + 2


def use_analyser(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Make ``name`` this polysearch's keyword analyser: what the store writes, and accepts when loading."""
    for module in ("indexer.store.writer", "indexer.store.reader"):
        monkeypatch.setattr(f"{module}.ANALYZER", name)
