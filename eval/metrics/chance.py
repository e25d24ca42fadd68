"""Chance level: the expected reciprocal rank of a random ranking.

Bigger chunks mean fewer passages, and each is more likely to hold an answer, so rank
metrics rise with chunk size even for a system that ranks at random. Reporting the chance
level next to each chunking keeps that effect from passing for better retrieval.
"""

from __future__ import annotations

from math import comb


def chance_reciprocal_rank(n_passages: int, n_relevant: int, k: int) -> float:
    """E[RR@k] when ``n_relevant`` of ``n_passages`` are relevant and the order is random.

    The first relevant passage is at rank ``r`` with probability C(N-r, R-1) / C(N, R):
    the ``r - 1`` passages before it are irrelevant and it is one of the ``R`` relevant.
    """
    if n_relevant <= 0 or n_passages <= 0:
        return 0.0
    total = comb(n_passages, n_relevant)
    last = min(k, n_passages - n_relevant + 1)
    return sum(comb(n_passages - r, n_relevant - 1) / total / r for r in range(1, last + 1))
