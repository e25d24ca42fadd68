"""Printing an evaluation as a table and writing it as JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from eval.errors import EvalError
from eval.metrics.time_reading import TIME_METRICS, time_reading
from eval.runner import Evaluation
from eval.scoring import ANSWER_METRICS, RANK_METRICS, STORY_METRICS, Metrics
from eval.significance import TEST_NAME, Comparison


def _value(value: float | int | None) -> str:
    if value is None:
        return "-"
    return str(value) if isinstance(value, int) else f"{value:.3f}"


def metrics_table(rows: Sequence[tuple[str, Metrics]], columns: Sequence[str]) -> str:
    """A fixed-width table: one row per label, one column per metric."""
    label_width = max([4, *(len(label) for label, _ in rows)])
    widths = [max(len(column), 5) for column in columns]
    lines = ["  ".join([" " * label_width, *(c.rjust(w) for c, w in zip(columns, widths, strict=True))]).rstrip()]
    for label, metrics in rows:
        cells = [_value(metrics.get(column)).rjust(width) for column, width in zip(columns, widths, strict=True)]
        lines.append("  ".join([label.ljust(label_width), *cells]))
    return "\n".join(lines)


def comparison_lines(comparisons: Sequence[Comparison]) -> list[str]:
    lines = [
        f"{c.system} vs {c.baseline} on {c.metric}: {c.difference:+.3f} "
        f"({c.mean_system:.3f} vs {c.mean_baseline:.3f}, n={c.n}), p = {c.p_value:.4f}"
        for c in comparisons
    ]
    if comparisons:
        lines.append(f"test: {TEST_NAME}")
    return lines


CATEGORY_COLUMNS = ("hit@1", "mrr@10", "answer_acc", "abstain_unanswerable", "n_questions")


def render(evaluation: Evaluation, comparisons: Sequence[Comparison] = ()) -> str:
    questions = evaluation.questions
    n_unanswerable = sum(not q.answerable for q in questions)
    judged_over = (
        "relevance judged on the passages the modes retrieved (HTTP mode: the service cannot list its "
        "passages, so nDCG's ideal ranking only knows retrieved passages)"
        if evaluation.qrels_pooled
        else "relevance judged on every passage of the index"
    )
    first = next(iter(evaluation.runs.values()))
    lines = [
        f"{len(questions)} questions ({len(questions) - n_unanswerable} answerable, {n_unanswerable} unanswerable), "
        f"k={evaluation.k}",
        f"backend: {evaluation.backend}",
        judged_over,
        "",
        metrics_table([(mode, run.metrics) for mode, run in evaluation.runs.items()], RANK_METRICS),
        "",
        "ask (one answer per question, independent of the search mode):",
        metrics_table([("ask", first.metrics)], ANSWER_METRICS),
    ]
    categories = [
        (f"{mode}:{name}", metrics)
        for mode, run in evaluation.runs.items()
        for name, metrics in run.by_category.items()
    ]
    if categories:
        lines += ["", "by question category:", metrics_table(categories, CATEGORY_COLUMNS)]
    lines += story_lines(evaluation)
    reading = time_reading(questions)
    if reading["n_published"] or reading["n_date_topic"]:
        lines += ["", "time read from the questions:", metrics_table([("time", reading)], TIME_METRICS)]
    if comparisons:
        lines += ["", *comparison_lines(comparisons)]
    return "\n".join(lines)


STORY_COLUMNS = (*STORY_METRICS, "n_lang_first")


def story_lines(evaluation: Evaluation) -> list[str]:
    """The question-language-version-first figures, when some question's story is told in two languages."""
    if not any(run.metrics.get("n_lang_first") for run in evaluation.runs.values()):
        return []
    rows: list[tuple[str, Metrics]] = [(mode, run.metrics) for mode, run in evaluation.runs.items()]
    rows += [
        (f"{mode}:{name}", metrics)
        for mode, run in evaluation.runs.items()
        for name, metrics in run.by_category.items()
        if metrics.get("n_lang_first")
    ]
    return [
        "",
        "stories told in several languages: the question's language first (lang_first: in the ranking; "
        "lang_first_folded: in the results folded by story):",
        metrics_table(rows, STORY_COLUMNS),
    ]


def payload(evaluation: Evaluation, mode: str, comparisons: Sequence[Comparison] = ()) -> dict[str, object]:
    """``{"metrics", "per_question"}`` of ``mode``, plus context and (when compared) every mode."""
    run = evaluation.runs[mode]  # type: ignore[index]
    document: dict[str, object] = {
        "metrics": run.metrics,
        "per_question": [judged.record() for judged in run.judged],
        "mode": mode,
        "k": evaluation.k,
        "backend": evaluation.backend,
        "qrels": "pooled from retrieved hits" if evaluation.qrels_pooled else "all index passages",
        "categories": run.by_category,
        "time_reading": time_reading(evaluation.questions),
    }
    if len(evaluation.runs) > 1 or comparisons:
        document["compare"] = {
            "modes": {name: other.metrics for name, other in evaluation.runs.items()},
            "categories": {name: other.by_category for name, other in evaluation.runs.items()},
            "significance": [
                {
                    "system": c.system,
                    "baseline": c.baseline,
                    "metric": c.metric,
                    "n": c.n,
                    "mean_system": c.mean_system,
                    "mean_baseline": c.mean_baseline,
                    "difference": c.difference,
                    "p_value": c.p_value,
                }
                for c in comparisons
            ],
            "test": TEST_NAME,
        }
    return document


def write_json(path: Path, document: dict[str, object]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        raise EvalError(f"cannot write {path} ({exc.strerror or exc})") from exc
