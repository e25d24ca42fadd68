"""The shipped question set is well formed and every answer is really in its articles."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from eval.errors import EvalError
from eval.questions import DEFAULT_QUESTIONS, load_questions, parse_questions
from indexer.sources.articles import read_article
from indexer.store.stories import StoryMap
from tests.conftest import SEEDS

QUESTIONS = load_questions(DEFAULT_QUESTIONS)
BODIES = {path.stem: read_article(path).body for path in sorted(SEEDS.glob("*.txt"))}


def test_question_set_size_and_coverage() -> None:
    answerable = [q for q in QUESTIONS if q.answerable]
    assert len(answerable) >= 60
    assert len(QUESTIONS) - len(answerable) >= 10
    # Every article is asked about, and some questions need several articles.
    assert {doc for q in answerable for doc in q.doc_ids} == set(BODIES)
    assert sum(len(q.doc_ids) > 1 for q in answerable) >= 5
    assert all(re.fullmatch(r"q\d{3}", q.id) for q in QUESTIONS)


@pytest.mark.parametrize("question", [q for q in QUESTIONS if q.answerable], ids=lambda q: q.id)
def test_answers_are_verbatim_in_the_named_articles(question: object) -> None:
    from eval.questions import Question

    assert isinstance(question, Question)
    assert set(question.doc_ids) <= set(BODIES), "unknown article id"
    for answer in question.answers:
        assert any(answer in BODIES[doc] for doc in question.doc_ids), f"{answer!r} is not in {question.doc_ids}"
    for doc in question.doc_ids:
        assert any(answer in BODIES[doc] for answer in question.answers), f"{doc} contains none of the answers"


def test_the_chinese_student_count_differs_between_articles() -> None:
    question = next(q for q in QUESTIONS if q.question == "How many students from China study at the Polytechnic?")
    assert set(question.answers) == {"2,150", "2,200"}
    assert len(question.doc_ids) == 2


def _line(**fields: object) -> str:
    record = {"id": "q1", "question": "Who?", "doc_ids": ["a"], "answers": ["b"]} | fields
    return json.dumps(record)


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ([_line(answers=[])], "both be given"),
        ([_line(doc_ids=[])], "both be given"),
        ([_line(), _line()], "duplicate question id"),
        ([_line(question=" ")], "must not be empty"),
        ([_line(answers=[" "])], "answer string is empty"),
        (['{"id": "q1"'], "not a valid question record"),
        ([_line(doc_ids="a")], "not a valid question record"),
        (["", "  "], "no questions"),
    ],
)
def test_bad_question_files_are_rejected_with_the_line(lines: list[str], message: str) -> None:
    with pytest.raises(EvalError, match=message):
        parse_questions(lines, source="q.jsonl")


def test_unanswerable_questions_parse_and_missing_file_is_an_error(tmp_path: Path) -> None:
    [question] = parse_questions([json.dumps({"id": "x", "question": "Weather?", "doc_ids": [], "answers": []})])
    assert not question.answerable
    with pytest.raises(EvalError, match="cannot read questions file"):
        load_questions(tmp_path / "missing.jsonl")


ARCHIVE_QUESTIONS = Path(__file__).resolve().parents[2] / "eval" / "questions_archive.jsonl"
RU_DIR = Path(__file__).resolve().parents[2] / "eval" / "ru"


def test_the_archive_and_russian_additions_are_answered_verbatim_by_their_articles(tmp_path: Path) -> None:
    """Questions about the distractor articles (gensim's Lee corpus and Wikipedia pages) and the Russian ones."""
    from eval.archive.distractors import distractors, write_distractors

    write_distractors(tmp_path, distractors())
    bodies = {path.stem: read_article(path).body for path in sorted(tmp_path.glob("*.txt"))}
    bodies |= {path.stem: read_article(path).body for path in sorted((RU_DIR / "articles").glob("*.txt"))}
    archive = load_questions(ARCHIVE_QUESTIONS)
    russian = load_questions(RU_DIR / "questions_more.jsonl")
    ids = [q.id for q in [*QUESTIONS, *archive, *russian, *load_questions(RU_DIR / "questions.jsonl")]]
    assert len(ids) == len(set(ids)), "question ids are unique across the files"
    answerable = [q for q in [*archive, *russian] if q.answerable]
    assert len(answerable) >= 150
    assert sum(not q.answerable for q in [*archive, *russian]) >= 30
    assert len({doc for q in answerable for doc in q.doc_ids}) >= 60
    for question in answerable:
        for doc in question.doc_ids:
            assert doc in bodies, (question.id, doc)
            assert any(answer in bodies[doc] for answer in question.answers), (question.id, question.answers)


CROSSLANG = Path(__file__).resolve().parents[2] / "eval" / "crosslang"


def test_the_cross_language_set_is_answered_by_the_english_versions_and_each_pairs_two_languages() -> None:
    """eval/crosslang: English questions about the English versions of five Russian articles, and their story groups."""
    english = {path.stem: read_article(path) for path in sorted((CROSSLANG / "articles").glob("*.txt"))}
    russian = {path.stem: read_article(path) for path in sorted((RU_DIR / "articles").glob("*.txt"))}
    questions = load_questions(CROSSLANG / "questions_en.jsonl")
    assert len(questions) == 27 and all(q.answerable for q in questions)
    for question in questions:
        (doc,) = question.doc_ids
        assert any(answer in english[doc].body for answer in question.answers), (question.id, question.answers)
    groups = StoryMap.from_json((CROSSLANG / "stories.json").read_bytes()).groups()
    assert len(groups) == len(english) == 5
    for en_id, ru_id in groups:
        # A version is the same story: same date, and the same figures in its text.
        assert english[en_id].date == russian[ru_id].date is not None, (en_id, ru_id)
        numbers = set(re.findall(r"\d+", russian[ru_id].body.replace(",", "")))
        assert numbers <= set(re.findall(r"\d+", english[en_id].body.replace(",", ""))), (en_id, numbers)
