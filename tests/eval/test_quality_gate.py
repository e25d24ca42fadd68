"""CI gate: the real packaged model on the real articles must not fall below eval/floors.json.

Two indexes: the five seed articles alone (the modes' floors), and the same seeds among the full
distractor corpus of eval/archive/distractors.py (the ``archive:<mode>`` floors) - the archive as the
answerer will meet it. The archive index is built once per run (a few minutes of the model's time).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.archive.distractors import distractors, write_distractors
from eval.archive.prepare import prepare
from eval.backends.local import LocalBackend
from eval.floors import check_floors, load_floors
from eval.questions import load_questions
from eval.runner import evaluate
from eval.scoring import Metrics
from indexer.answer.answerer import Answerer, Ranker
from indexer.build.builder import BuildOptions, build_index
from indexer.encoders.torch_backend import SentenceTransformerEncoder
from indexer.models import SEARCH_MODES
from indexer.search.retriever import Retriever
from indexer.store.reader import load_index
from tests.conftest import SEEDS

pytestmark = pytest.mark.model

# Four off-topic questions, each answered with a confident, cited, wrong sentence before the
# answerer checked its evidence.
ISSUE_QUESTIONS = (
    "Who won the Nobel Prize in Physics in 2023?",
    "What is the exchange rate of the yuan to the ruble?",
    "When does the spring semester start?",
    "What is the tuition fee for a master's program at SPbPU?",
)


@pytest.fixture(scope="module")
def encoder() -> SentenceTransformerEncoder:
    return SentenceTransformerEncoder()


@pytest.fixture(scope="module")
def archive_index(tmp_path_factory: pytest.TempPathFactory, encoder: SentenceTransformerEncoder) -> Path:
    work = tmp_path_factory.mktemp("archive")
    write_distractors(work / "distractors", distractors())
    return prepare(SEEDS, work / "distractors", work, encoder, with_seeds_index=False).archive_index


def test_retrieval_and_answers_stay_above_their_floors(
    real_seeds: Path, tmp_path: Path, encoder: SentenceTransformerEncoder, archive_index: Path
) -> None:
    build_index(real_seeds, tmp_path / "index", encoder, BuildOptions())
    metrics: dict[str, Metrics] = {}
    for prefix, index in (("", tmp_path / "index"), ("archive:", archive_index)):
        evaluation = evaluate(LocalBackend.open(index, encoder=encoder), load_questions(), modes=SEARCH_MODES, k=10)
        metrics.update({f"{prefix}{mode}": run.metrics for mode, run in evaluation.runs.items()})
    floors = load_floors()
    assert set(floors.floors) == set(metrics), "every mode has floors, on the seeds and at archive scale"
    assert check_floors(metrics, floors) == [], metrics


def test_the_off_topic_questions_abstain_at_archive_scale(
    archive_index: Path, encoder: SentenceTransformerEncoder
) -> None:
    answerer = Answerer(Retriever(load_index(archive_index), encoder))
    for question in ISSUE_QUESTIONS:
        result = answerer.ask(question)
        assert result.abstained and result.answer is None, (question, result.answer)
        assert result.reason and result.citations, question
    # Without the evidence check they are answered with a cited sentence (all four were, before keyword
    # search dropped question words; the exchange-rate question now falls below min_confidence).
    unchecked = Answerer(answerer.retriever, check_evidence=False)
    answered = [question for question in ISSUE_QUESTIONS if not unchecked.ask(question).abstained]
    assert len(answered) >= 3, answered


# Open-world questions that were once answered at archive scale from one shared word or a year.
LEAKS = ("Which bus goes to the main building?", "Which football club won the championship in 2023?")


@pytest.mark.parametrize("ranker", ["rules", "learned"])
def test_open_world_questions_abstain_and_the_readme_example_is_answered(
    archive_index: Path, encoder: SentenceTransformerEncoder, ranker: Ranker
) -> None:
    answerer = Answerer(Retriever(load_index(archive_index), encoder), ranker=ranker)
    for question in (*ISSUE_QUESTIONS, *LEAKS):
        result = answerer.ask(question)
        assert result.abstained and result.reason, (question, result.answer)
    # The article says the office "was established"; the question says "opened".
    example = answerer.ask("When was the representative office in Shanghai opened?")
    assert example.answer is not None and "April 2016" in example.answer.text
