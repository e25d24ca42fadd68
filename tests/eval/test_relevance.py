"""The relevance rule: article in doc_ids and an answer in the text, case and whitespace aside."""

from __future__ import annotations

from eval.questions import Question
from eval.relevance import contains_answer, is_relevant, normalize, qrels

QUESTION = Question(id="q1", question="When?", doc_ids=("a",), answers=("April 2016", "spring"))


def test_normalize_collapses_whitespace_and_case() -> None:
    assert normalize("  In\u00a0April\n\n2016  ") == "in april 2016"


def test_contains_answer_ignores_case_line_breaks_and_non_breaking_spaces() -> None:
    assert contains_answer("established in april\n2016 in Shanghai", ["April 2016"])
    assert contains_answer("In\u00a0April  2016", ["April 2016"])
    assert not contains_answer("April of 2016", ["April 2016"])


def test_relevant_needs_the_right_article_and_an_answer() -> None:
    assert is_relevant(QUESTION, "a", "Opened in April 2016.")
    assert is_relevant(QUESTION, "a", "In SPRING the office opened.")
    assert not is_relevant(QUESTION, "b", "Opened in April 2016.")
    assert not is_relevant(QUESTION, "a", "Opened in 2016.")


def test_qrels_cover_answerable_questions_only() -> None:
    unanswerable = Question(id="q2", question="Weather?")
    passages = [("a#0", "a", "Opened in April 2016."), ("a#1", "a", "Nothing."), ("b#0", "b", "April 2016 too")]
    assert qrels([QUESTION, unanswerable], passages) == {"q1": {"a#0"}}
