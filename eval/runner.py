"""Running a question set through a backend: every mode's rankings, one ``ask`` per question, judgements."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from eval.backends.base import Backend
from eval.questions import Question
from eval.records import Retrieved
from eval.relevance import qrels as judge_passages
from eval.scoring import Judged, Metrics, judge, per_question_values, summarize
from eval.significance import Comparison, compare
from eval.versions import NO_STORIES, StoryView
from indexer.models import SearchMode

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ModeRun:
    """One mode's judged questions, its metrics, and the same metrics per question category."""

    mode: SearchMode
    judged: list[Judged]
    metrics: Metrics
    by_category: dict[str, Metrics]


@dataclass(frozen=True, slots=True)
class Evaluation:
    """All modes evaluated on one question set; ``qrels_pooled`` when judged from retrieved hits only."""

    backend: str
    questions: list[Question]
    k: int
    runs: dict[SearchMode, ModeRun]
    qrels: dict[str, set[str]]
    qrels_pooled: bool


def _pool(rankings: Sequence[list[list[Retrieved]]]) -> list[tuple[str, str, str]]:
    seen: dict[str, tuple[str, str, str]] = {}
    for ranking in rankings:
        for hits in ranking:
            for hit in hits:
                seen.setdefault(hit.passage_id, (hit.passage_id, hit.article_id, hit.text))
    return [seen[pid] for pid in sorted(seen)]


def evaluate(
    backend: Backend,
    questions: Sequence[Question],
    *,
    modes: Sequence[SearchMode],
    k: int,
    stories: StoryView = NO_STORIES,
) -> Evaluation:
    """Search every question in every mode, ask every question once, and judge the results.

    ``ask`` does not depend on the search mode (the answerer retrieves with its own settings),
    so its outcomes are shared by all modes. With ``stories``, a question's articles stand for
    every version of their stories, and the story figures (``lang_first``) are measured.
    """
    texts = [q.question for q in questions]
    # Questions carry the day they are asked on, so relative time ("last year") reads the same on every run.
    days = [q.today for q in questions]
    now = days if any(day is not None for day in days) else None
    rankings = {mode: backend.search(texts, k=k, mode=mode, now=now) for mode in modes}
    asks = backend.ask(texts, now=now)
    passages = backend.passages()
    pooled = passages is None
    # Judged as asked about the story: any version of it that holds an answer is relevant.
    told = [stories.expand(question) for question in questions]
    qrels = judge_passages(told, passages if passages is not None else _pool(list(rankings.values())))
    empty = sorted(qid for qid, relevant in qrels.items() if not relevant)
    if empty:
        log.warning("questions_without_relevant_passages", extra={"questions": empty, "pooled": pooled})
    runs: dict[SearchMode, ModeRun] = {}
    for mode, ranking in rankings.items():
        judged = [
            judge(question, hits, len(qrels.get(question.id, ())), ask, lang_first=stories.lang_first(question, hits))
            for question, hits, ask in zip(told, ranking, asks, strict=True)
        ]
        runs[mode] = ModeRun(mode=mode, judged=judged, metrics=summarize(judged), by_category=by_category(judged))
        log.info("mode_evaluated", extra={"mode": mode, **runs[mode].metrics})
    return Evaluation(
        backend=backend.description, questions=list(questions), k=k, runs=runs, qrels=qrels, qrels_pooled=pooled
    )


def by_category(judged: Sequence[Judged]) -> dict[str, Metrics]:
    """The metrics of each question category (questions without one are left out), by name."""
    groups: dict[str, list[Judged]] = {}
    for item in judged:
        if item.question.category is not None:
            groups.setdefault(item.question.category, []).append(item)
    return {name: summarize(groups[name]) for name in sorted(groups)}


def compare_modes(evaluation: Evaluation, *, system: SearchMode = "hybrid", metric: str = "mrr@10") -> list[Comparison]:
    """``system`` against every other evaluated mode, paired per answerable question."""
    if system not in evaluation.runs:
        return []
    scores = per_question_values(evaluation.runs[system].judged, metric)
    return [
        compare(system, scores, mode, per_question_values(run.judged, metric), metric=metric)
        for mode, run in evaluation.runs.items()
        if mode != system
    ]
