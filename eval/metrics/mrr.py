"""Reciprocal rank ("mrr@k" when averaged over questions): 1 / rank of the first relevant passage."""

from __future__ import annotations

from collections.abc import Sequence


def reciprocal_rank(relevance: Sequence[bool], k: int) -> float:
    """``1 / r`` for the first relevant rank ``r <= k``; 0.0 when none of the first ``k`` is relevant."""
    for rank, relevant in enumerate(relevance[:k], start=1):
        if relevant:
            return 1.0 / rank
    return 0.0
