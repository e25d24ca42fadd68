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
