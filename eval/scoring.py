"""Judging one question's results and summarising a mode's results into the reported metrics."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from eval.metrics import abstain_rate, answer_accuracy, hit, ndcg, reciprocal_rank
from eval.metrics.answers import answer_correct
from eval.questions import Question
from eval.records import AskOutcome, Retrieved
from eval.relevance import is_relevant
from eval.versions import LangFirst

HIT_CUTOFFS = (1, 3, 5, 10)
RANK_DEPTH = 10
RANK_METRICS = (*(f"hit@{k}" for k in HIT_CUTOFFS), f"mrr@{RANK_DEPTH}", f"ndcg@{RANK_DEPTH}")
ANSWER_METRICS = ("answer_acc", "abstain_unanswerable", "false_abstain")
# Over the questions whose story is told in two or more languages (eval/stories.py); None without any.
STORY_METRICS = ("lang_first", "lang_first_folded")
METRIC_KEYS = (*RANK_METRICS, *ANSWER_METRICS, "n_questions", "n_unanswerable", *STORY_METRICS, "n_lang_first")

Metrics = dict[str, float | int | None]


@dataclass(frozen=True, slots=True)
class Judged:
    """One question's ranked hits with their relevance, and its ask outcome."""

    question: Question
    hits: tuple[Retrieved, ...]
    relevance: tuple[bool, ...]
    n_relevant: int
    ask: AskOutcome | None
    lang_first: LangFirst | None = None

    @property
    def first_relevant_rank(self) -> int | None:
        return next((rank for rank, relevant in enumerate(self.relevance, start=1) if relevant), None)

    def rank_metrics(self) -> dict[str, float]:
        values = {f"hit@{k}": hit(self.relevance, k) for k in HIT_CUTOFFS}
        values[f"mrr@{RANK_DEPTH}"] = reciprocal_rank(self.relevance, RANK_DEPTH)
        values[f"ndcg@{RANK_DEPTH}"] = ndcg(self.relevance, self.n_relevant, RANK_DEPTH)
        return values

    def record(self) -> dict[str, object]:
        """The per-question line of the JSON report."""
        question = self.question
        record: dict[str, object] = {
            "id": question.id,
            "question": question.question,
            "answerable": question.answerable,
            "doc_ids": list(question.doc_ids),
            "answers": list(question.answers),
            "retrieved": [hit.passage_id for hit in self.hits],
            "relevant_ranks": [rank for rank, relevant in enumerate(self.relevance, start=1) if relevant],
            "n_relevant": self.n_relevant,
            "first_relevant_rank": self.first_relevant_rank,
        }
        if question.answerable:
            record.update(self.rank_metrics())
        if self.ask is not None:
            record["answer"] = self.ask.answer
            record["answer_passage_id"] = self.ask.passage_id
            record["abstained"] = self.ask.abstained
            record["answer_correct"] = answer_correct(self.ask, question.answers) if question.answerable else None
        if self.lang_first is not None:
            record["lang_first"] = self.lang_first.raw
            record["lang_first_folded"] = self.lang_first.folded
        return record


def judge(
    question: Question,
    hits: Sequence[Retrieved],
    n_relevant: int,
    ask: AskOutcome | None,
    *,
    lang_first: LangFirst | None = None,
) -> Judged:
    relevance = tuple(is_relevant(question, hit.article_id, hit.text) for hit in hits)
    return Judged(
        question=question, hits=tuple(hits), relevance=relevance, n_relevant=n_relevant, ask=ask, lang_first=lang_first
    )


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def summarize(judged: Sequence[Judged]) -> Metrics:
    """Exactly ``METRIC_KEYS``: rank metrics over answerable questions, answer shares, counts, story figures.

    A share whose denominator is empty (no unanswerable questions, no ask outcomes, no question
    whose story is told in two languages) is ``None``.
    """
    answerable = [j for j in judged if j.question.answerable]
    unanswerable = [j for j in judged if not j.question.answerable]
    per_question = [j.rank_metrics() for j in answerable]
    metrics: Metrics = {name: _mean([values[name] for values in per_question]) for name in RANK_METRICS}
    if all(j.ask is not None for j in judged):
        metrics["answer_acc"] = answer_accuracy([(j.ask, j.question.answers) for j in answerable if j.ask])
        metrics["abstain_unanswerable"] = abstain_rate([j.ask for j in unanswerable if j.ask])
        metrics["false_abstain"] = abstain_rate([j.ask for j in answerable if j.ask])
    else:
        metrics.update(dict.fromkeys(ANSWER_METRICS))
    metrics["n_questions"] = len(judged)
    metrics["n_unanswerable"] = len(unanswerable)
    told = [j.lang_first for j in judged if j.lang_first is not None]
    metrics["lang_first"] = _mean([figures.raw for figures in told])
    metrics["lang_first_folded"] = _mean([figures.folded for figures in told])
    metrics["n_lang_first"] = len(told)
    return metrics


def hit_curve(judged: Sequence[Judged], *, max_k: int = RANK_DEPTH) -> list[float]:
    """hit@1 .. hit@max_k over the answerable questions (for the plot)."""
    answerable = [j for j in judged if j.question.answerable]
    if not answerable:
        return [0.0] * max_k
    return [sum(hit(j.relevance, k) for j in answerable) / len(answerable) for k in range(1, max_k + 1)]


def per_question_values(judged: Sequence[Judged], metric: str) -> list[float]:
    """One metric per answerable question, in question order (input to paired tests)."""
    return [j.rank_metrics()[metric] for j in judged if j.question.answerable]
