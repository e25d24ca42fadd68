"""CI gate: the real packaged model on the real articles must not fall below eval/floors.json."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.floors import check_floors, load_floors
from eval.local import LocalBackend
from eval.questions import load_questions
from eval.runner import evaluate
from eval.scoring import Metrics
from indexer.builder import BuildOptions, build_index
from indexer.encoder import SentenceTransformerEncoder
from indexer.models import SEARCH_MODES

pytestmark = pytest.mark.model


def test_retrieval_and_answers_stay_above_their_floors(real_seeds: Path, tmp_path: Path) -> None:
    encoder = SentenceTransformerEncoder()
    build_index(real_seeds, tmp_path / "index", encoder, BuildOptions())
    backend = LocalBackend.open(tmp_path / "index", encoder=encoder)
    evaluation = evaluate(backend, load_questions(), modes=SEARCH_MODES, k=10)
    metrics: dict[str, Metrics] = {mode: run.metrics for mode, run in evaluation.runs.items()}
    floors = load_floors()
    assert set(floors.floors) == set(metrics), "every mode has floors"
    assert check_floors(metrics, floors) == [], metrics
