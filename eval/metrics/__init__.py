"""Evaluation metrics, one concept per module (hit rate, reciprocal rank, nDCG, answer shares)."""

from __future__ import annotations

from eval.metrics.answers import abstain_rate, answer_accuracy
from eval.metrics.hit import hit
from eval.metrics.mrr import reciprocal_rank
from eval.metrics.ndcg import ndcg

__all__ = ["abstain_rate", "answer_accuracy", "hit", "ndcg", "reciprocal_rank"]
