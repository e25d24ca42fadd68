"""Which texts go into which encoder batch, so a distributed build pads exactly as a local one.

sentence-transformers sorts its input by character length (longest first) and cuts it into
consecutive batches; each batch is padded to its longest text, and padding changes the
vectors in the last float bits. Sending the workers these same batches makes a distributed
build compute what a local build computes, batch for batch.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def length_sorted_batches(texts: Sequence[str], batch_size: int) -> list[list[int]]:
    """Row numbers of ``texts`` in the batches a local ``encode(texts, batch_size=...)`` forms."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    # The same call sentence-transformers makes (numpy's default sort on negated lengths), so
    # ties between equal lengths fall the same way too.
    order = np.argsort([-len(text) for text in texts])
    return [[int(row) for row in order[i : i + batch_size]] for i in range(0, len(order), batch_size)]


def planned_batches(encoder: object, texts: Sequence[str], batch_size: int) -> list[list[int]]:
    """The batches ``encoder.encode(texts, batch_size=...)`` forms on this backend.

    A backend that plans its own batches says so with ``batch_rows`` (the ONNX backends sort
    stably by the length of the text they tokenise); the torch backend is sentence-transformers.
    """
    batch_rows = getattr(encoder, "batch_rows", None)
    if callable(batch_rows):
        rows: list[list[int]] = batch_rows(texts, batch_size)
        return rows
    return length_sorted_batches(texts, batch_size)
