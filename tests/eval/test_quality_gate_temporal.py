"""CI gate for time in the question: the temporal set meets its targets on the real packaged model.

One index of the English seeds plus the Russian test articles (every article dated). The set
holds questions that state a publication time, questions that ask for the latest news, and
questions whose date is their topic; each is asked on the day its ``now`` names.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from eval.backends.local import LocalBackend
from eval.floors import check_floors, load_floors
from eval.metrics.time_reading import time_reading
from eval.questions import load_questions
from eval.runner import evaluate
from eval.scoring import Metrics
from indexer.build.builder import BuildOptions, build_index
from indexer.encoders.torch_backend import SentenceTransformerEncoder
from indexer.models import SEARCH_MODES
from tests.conftest import REPO

pytestmark = pytest.mark.model

TEMPORAL = REPO / "eval" / "temporal"
HIT1_TARGET = 0.90
FILTER_RIGHT_TARGET = 0.95


def test_temporal_questions_meet_their_targets(real_seeds: Path, tmp_path: Path) -> None:
    for article in sorted((REPO / "eval" / "ru" / "articles").glob("*.txt")):
        shutil.copy(article, real_seeds / article.name)
    encoder = SentenceTransformerEncoder()
    build_index(real_seeds, tmp_path / "index", encoder, BuildOptions())
    backend = LocalBackend.open(tmp_path / "index", encoder=encoder)
    questions = load_questions(TEMPORAL / "questions.jsonl")

    evaluation = evaluate(backend, questions, modes=SEARCH_MODES, k=10)
    metrics: dict[str, Metrics] = {mode: run.metrics for mode, run in evaluation.runs.items()}
    assert check_floors(metrics, load_floors(TEMPORAL / "floors.json")) == [], metrics
    hit1 = metrics["hybrid"]["hit@1"]
    assert hit1 is not None and hit1 >= HIT1_TARGET, hit1

    reading = time_reading(questions)
    right = reading["time_filter_right"]
    assert right is not None and right >= FILTER_RIGHT_TARGET, reading
    assert reading["time_false_filter"] == 0, reading
