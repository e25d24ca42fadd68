"""Scoring a system on the staff judgments from feedback: judged queries rerun, "helped" as relevant."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from eval.backends.base import Backend
from eval.metrics import hit, reciprocal_rank
from eval.records import Retrieved
from indexer.models import SearchMode

JUDGED_METRICS = ("hit@1", "hit@5", "mrr@10", "not_helped@1")
RANK_DEPTH = 10


def judged_metrics(
    qrels: dict[str, dict[str, int]], runs: Mapping[str, Sequence[Retrieved]]
) -> dict[str, float | None]:
    """Mean hit@1, hit@5, mrr@10 (an article judged helped is relevant) and the share of queries whose
    first passage comes from an article judged not helped, over the query ids in ``runs``."""
    rows: list[dict[str, float]] = []
    for query_id in sorted(runs):
        judged = qrels.get(query_id, {})
        articles = [hit_.article_id for hit_ in runs[query_id]]
        helped = [judged.get(article, 0) > 0 for article in articles]
        not_helped = [judged.get(article, 1) <= 0 for article in articles]
        rows.append(
            {
                "hit@1": hit(helped, 1),
                "hit@5": hit(helped, 5),
                "mrr@10": reciprocal_rank(helped, RANK_DEPTH),
                "not_helped@1": hit(not_helped, 1),
            }
        )
    return {name: (sum(row[name] for row in rows) / len(rows) if rows else None) for name in JUDGED_METRICS}


@dataclass(frozen=True, slots=True)
class JudgedReport:
    """The figures on the judged queries, and each query's retrieved articles."""

    mode: str
    backend: str
    n_queries: int
    n_skipped: int
    metrics: dict[str, float | None]
    retrieved: dict[str, list[str]]

    def document(self) -> dict[str, object]:
        """The --json form."""
        return {
            "mode": self.mode,
            "backend": self.backend,
            "n_queries": self.n_queries,
            "n_skipped": self.n_skipped,
            "metrics": self.metrics,
            "per_query": [{"id": qid, "retrieved": articles} for qid, articles in sorted(self.retrieved.items())],
        }

    def render(self) -> str:
        """A small table of the judged figures."""
        header = f"{'mode':<8} {'queries':>7} " + " ".join(f"{name:>12}" for name in JUDGED_METRICS)
        values = [self.metrics[name] for name in JUDGED_METRICS]
        cells = " ".join(f"{'-' if v is None else format(v, '.3f'):>12}" for v in values)
        note = f"judged queries on {self.backend}; {self.n_skipped} skipped (no query text to rerun)"
        return "\n".join([header, f"{self.mode:<8} {self.n_queries:>7} {cells}", note])


def score_judged(
    backend: Backend,
    qrels: dict[str, dict[str, int]],
    queries: dict[str, str],
    *,
    mode: SearchMode,
    k: int,
) -> JudgedReport:
    """Rerun every judged query that has its text, and score it; the others are counted as skipped."""
    ids = sorted(set(qrels) & set(queries))
    texts = [queries[query_id] for query_id in ids]
    results = backend.search(texts, k=max(k, RANK_DEPTH), mode=mode) if texts else []
    runs = dict(zip(ids, results, strict=True))
    return JudgedReport(
        mode=mode,
        backend=backend.description,
        n_queries=len(ids),
        n_skipped=len(set(qrels) - set(queries)),
        metrics=judged_metrics(qrels, runs),
        retrieved={query_id: [h.article_id for h in runs[query_id]] for query_id in ids},
    )
