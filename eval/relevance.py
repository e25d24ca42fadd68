"""The relevance rule, independent of chunking so different chunkers are judged alike.

A passage is relevant to a question when its article is one of the question's ``doc_ids``
and its text contains one of the question's ``answers``, ignoring case and collapsing runs
of whitespace (so a line break or non-breaking space inside an answer still matches).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from eval.questions import Question

_SPACE = re.compile(r"\s+")


def normalize(text: str) -> str:
    return _SPACE.sub(" ", text).strip().casefold()


def contains_answer(text: str, answers: Sequence[str]) -> bool:
    haystack = normalize(text)
    return any(normalize(answer) in haystack for answer in answers)


def is_relevant(question: Question, article_id: str, text: str) -> bool:
    return article_id in question.doc_ids and contains_answer(text, question.answers)


def qrels(questions: Iterable[Question], passages: Iterable[tuple[str, str, str]]) -> dict[str, set[str]]:
    """Relevant passage ids per answerable question, from ``(passage_id, article_id, text)`` triples."""
    pool = list(passages)
    return {
        question.id: {pid for pid, article_id, text in pool if is_relevant(question, article_id, text)}
        for question in questions
        if question.answerable
    }
