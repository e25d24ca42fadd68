"""Normalised discounted cumulative gain ("ndcg@k") with binary gains.

DCG adds ``1 / log2(rank + 1)`` for every relevant passage in the first ``k`` (Järvelin and
Kekäläinen 2002, the form ranx and trec_eval use); the ideal ranking puts all ``n_relevant``
judged passages first. With binary gains the ``2**rel - 1`` variant gives the same numbers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def _discount(rank: int) -> float:
    return 1.0 / math.log2(rank + 1)


def ndcg(relevance: Sequence[bool], n_relevant: int, k: int) -> float:
    """nDCG@k of a ranked list whose question has ``n_relevant`` relevant passages in all."""
    dcg = sum(_discount(rank) for rank, relevant in enumerate(relevance[:k], start=1) if relevant)
    # Never fewer ideal gains than were actually retrieved (a pooled judgement may undercount).
    n_ideal = min(k, max(n_relevant, sum(1 for relevant in relevance[:k] if relevant)))
    ideal = sum(_discount(rank) for rank in range(1, n_ideal + 1))
    return dcg / ideal if ideal > 0 else 0.0
