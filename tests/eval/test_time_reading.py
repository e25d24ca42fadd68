"""Question categories, per-question clocks and the time-reading score of polysearch eval."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from eval.errors import EvalError
from eval.metrics.time_reading import time_reading
from eval.questions import Question, load_questions, parse_questions
from eval.records import Retrieved
from eval.runner import by_category
from eval.scoring import judge
from indexer.sources.articles import read_article
from tests.conftest import REPO, SEEDS

TEMPORAL = REPO / "eval" / "temporal" / "questions.jsonl"


def line(**fields: object) -> str:
    return json.dumps({"id": "x", "question": "q?", "doc_ids": ["a"], "answers": ["b"], **fields})


def test_new_fields_are_read_and_checked() -> None:
    [question] = parse_questions([line(category="temporal", now="2025-02-01", published=["2024-01-01", "2024-12-31"])])
    assert question.category == "temporal" and question.today == dt.date(2025, 2, 1)
    assert question.window == (dt.date(2024, 1, 1), dt.date(2024, 12, 31))
    for bad, message in (
        (line(now="02/01/2025"), "ISO days"),
        (line(published=["2024-12-31", "2024-01-01"]), "backwards"),
        (line(published=["2024-01-01", "2024-12-31"], date_topic=True), "not both"),
    ):
        with pytest.raises(EvalError, match=message):
            parse_questions([bad])


def test_the_time_reading_score_counts_exact_windows_and_false_filters() -> None:
    questions = [
        Question(id="a", question="news of 2024 on the forum", published=("2024-01-01", "2024-12-31")),
        Question(
            id="b", question="news on the forum last year", now="2025-05-01", published=("2024-01-01", "2024-12-31")
        ),
        Question(id="c", question="news of spring 2024", published=("2024-01-01", "2024-12-31")),  # read: spring only
        Question(id="d", question="the university founded in 1899", date_topic=True),
        Question(id="e", question="where did they sign the deal in 2023", date_topic=True),
        Question(id="f", question="the summit news of 2022", date_topic=True),  # wrongly filtered: counted
        Question(id="g", question="who heads the office"),  # neither: not counted
    ]
    assert time_reading(questions, today=dt.date(2026, 1, 1)) == {
        "time_filter_right": pytest.approx(2 / 3),
        "time_false_filter": 1,
        "n_published": 3,
        "n_date_topic": 3,
    }
    assert time_reading([questions[-1]])["time_filter_right"] is None


def test_metrics_per_category_leave_uncategorised_questions_out() -> None:
    def judged(qid: str, category: str | None, relevant: bool):  # type: ignore[no-untyped-def]
        question = Question(id=qid, question="q", doc_ids=("a",), answers=("yes",), category=category)
        hit = Retrieved(rank=1, score=1.0, passage_id="a#0", article_id="a", text="yes" if relevant else "no")
        return judge(question, [hit], 1, None)

    groups = by_category([judged("1", "latest", True), judged("2", "latest", False), judged("3", "temporal", True),
                          judged("4", None, False)])  # fmt: skip
    assert list(groups) == ["latest", "temporal"]
    assert (groups["latest"]["hit@1"], groups["latest"]["n_questions"]) == (0.5, 2)
    assert groups["temporal"]["hit@1"] == 1.0


def test_the_temporal_set_is_well_formed_and_its_answers_are_in_its_articles() -> None:
    questions = load_questions(TEMPORAL)
    bodies = {p.stem: read_article(p).body for p in [*SEEDS.glob("*.txt"), *(REPO / "eval/ru/articles").glob("*.txt")]}
    space = " ".join
    for question in questions:
        assert question.category in {"temporal", "latest", "date-topic"} and question.now is not None
        texts = [space(bodies[doc].split()).casefold() for doc in question.doc_ids]
        assert any(space(a.split()).casefold() in t for a in question.answers for t in texts), question.id
    assert sum(q.window is not None for q in questions) >= 20 and sum(q.date_topic for q in questions) >= 10
