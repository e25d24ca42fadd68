"""Hit rate ("hit@k", a.k.a. success@k): is any relevant passage among the first ``k``?"""

from __future__ import annotations

from collections.abc import Sequence


def hit(relevance: Sequence[bool], k: int) -> float:
    """1.0 when one of the first ``k`` ranked passages is relevant, else 0.0."""
    return 1.0 if any(relevance[:k]) else 0.0
