"""Figures on staff judgments: hand-computed on a tiny ranking, and the skipped queries counted."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from eval.judged import judged_metrics, score_judged
from eval.records import AskOutcome, Retrieved
from indexer.models import SearchMode


def _ranking(*articles: str) -> list[Retrieved]:
    return [
        Retrieved(rank=rank, score=1.0 / rank, passage_id=f"{article}#{rank}", article_id=article, text="")
        for rank, article in enumerate(articles, start=1)
    ]


def test_helped_is_relevant_and_not_helped_first_is_counted() -> None:
    qrels = {"q1": {"a": 1, "b": 0}, "q2": {"c": 0, "d": 1}, "q3": {"e": 0}}
    runs = {
        "q1": _ranking("a", "b"),  # helped first: hit@1, rr 1
        "q2": _ranking("c", "x", "x", "x", "x", "d"),  # not helped first; helped at rank 6: no hit@5, rr 1/6
        "q3": _ranking("x", "e"),  # nothing helped; the not-helped article is second, not first
    }
    assert judged_metrics(qrels, runs) == pytest.approx(
        {"hit@1": 1 / 3, "hit@5": 1 / 3, "mrr@10": (1 + 1 / 6) / 3, "not_helped@1": 1 / 3}
    )
    assert judged_metrics(qrels, {}) == dict.fromkeys(("hit@1", "hit@5", "mrr@10", "not_helped@1"))


class _Backend:
    description = "fake"

    def __init__(self) -> None:
        self.asked: list[str] = []

    def search(self, queries: Sequence[str], *, k: int, mode: SearchMode) -> list[list[Retrieved]]:
        self.asked.extend(queries)
        return [_ranking("a") for _ in queries]

    def ask(self, queries: Sequence[str]) -> list[AskOutcome]:
        raise NotImplementedError

    def passages(self) -> list[tuple[str, str, str]] | None:
        return None

    def close(self) -> None:
        pass


def test_only_queries_with_text_are_rerun() -> None:
    backend = _Backend()
    report = score_judged(backend, {"q1": {"a": 1}, "q2": {"a": 0}}, {"q1": "who?"}, mode="hybrid", k=10)
    assert backend.asked == ["who?"]
    assert (report.n_queries, report.n_skipped) == (1, 1)
    assert report.metrics["hit@1"] == 1.0 and report.metrics["not_helped@1"] == 0.0
    assert "1 skipped" in report.render()
