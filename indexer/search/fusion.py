"""Combining dense and keyword rankings into one hybrid score."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

FusionMethod = Literal["rrf", "convex"]


@dataclass(frozen=True, slots=True)
class FusionConfig:
    """How dense and keyword evidence combine into one ranking.

    ``weight`` is the dense share (keyword gets ``1 - weight``); ``rrf_k`` damps top ranks;
    ``sentence_weight`` blends a passage's cosine with its best sentence's; ``depth`` is how
    many candidates each list contributes.
    """

    # Defaults measured on eval/questions.jsonl (docs/evaluation.md, "Tuning"): min-max convex fusion beat
    # RRF at every chunk size, and scoring passages partly by their best sentence beat both.
    method: FusionMethod = "convex"
    weight: float = 0.7
    rrf_k: int = 60
    depth: int = 100
    sentence_weight: float = 0.7


def reciprocal_rank(
    dense: Mapping[int, float], keyword: Mapping[int, float], *, weight: float, rrf_k: int
) -> dict[int, float]:
    """Weighted RRF (Cormack et al. 2009): only ranks matter, so score scales never clash."""
    fused: dict[int, float] = {}
    for share, scores in ((weight, dense), (1.0 - weight, keyword)):
        ranked = sorted(scores, key=lambda row: (-scores[row], row))
        for rank, row in enumerate(ranked, start=1):
            fused[row] = fused.get(row, 0.0) + share / (rrf_k + rank)
    return fused


def _min_max(scores: Mapping[int, float]) -> dict[int, float]:
    if not scores:
        return {}
    low, high = min(scores.values()), max(scores.values())
    span = high - low
    # A single candidate (or all equal) is as good as the best one of its list.
    return {row: (value - low) / span if span > 0 else 1.0 for row, value in scores.items()}


def convex(dense: Mapping[int, float], keyword: Mapping[int, float], *, weight: float) -> dict[int, float]:
    """Weighted sum of min-max normalised scores; a list that missed a row contributes 0."""
    dense_norm, keyword_norm = _min_max(dense), _min_max(keyword)
    return {
        row: weight * dense_norm.get(row, 0.0) + (1.0 - weight) * keyword_norm.get(row, 0.0)
        for row in dense_norm.keys() | keyword_norm.keys()
    }


def fuse(dense: Mapping[int, float], keyword: Mapping[int, float], config: FusionConfig) -> dict[int, float]:
    if config.method == "convex":
        return convex(dense, keyword, weight=config.weight)
    return reciprocal_rank(dense, keyword, weight=config.weight, rrf_k=config.rrf_k)
