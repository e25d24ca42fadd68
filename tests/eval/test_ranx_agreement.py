"""Our metrics agree with ranx, an independent implementation, on the same TREC run and qrels."""

from __future__ import annotations

from pathlib import Path

import pytest
from ranx import Qrels, Run, evaluate

from eval.backends.local import LocalBackend
from eval.questions import load_questions
from eval.runner import evaluate as run_evaluation
from eval.scoring import HIT_CUTOFFS
from eval.trec import write_qrels, write_run
from tests.fakes import FakeEncoder

RANX_NAMES = {**{f"hit@{k}": f"hit_rate@{k}" for k in HIT_CUTOFFS}, "mrr@10": "mrr@10", "ndcg@10": "ndcg@10"}


@pytest.mark.parametrize("mode", ["dense", "keyword", "hybrid"])
def test_metrics_match_ranx(seeds_index: Path, fake_encoder: FakeEncoder, tmp_path: Path, mode: str) -> None:
    backend = LocalBackend.open(seeds_index, encoder=fake_encoder)
    evaluation = run_evaluation(backend, load_questions(), modes=[mode], k=10)  # type: ignore[list-item]
    run = evaluation.runs[mode]  # type: ignore[index]
    # Every answerable question has a judged passage, so ranx and we average over the same questions.
    assert all(evaluation.qrels.values())
    write_run(tmp_path / "run.trec", {j.question.id: j.hits for j in run.judged}, tag=mode)
    write_qrels(tmp_path / "qrels.trec", evaluation.qrels)
    qrels = Qrels.from_file(str(tmp_path / "qrels.trec"), kind="trec")
    ranx_run = Run.from_file(str(tmp_path / "run.trec"), kind="trec")
    theirs = evaluate(qrels, ranx_run, list(RANX_NAMES.values()), make_comparable=True)
    ours = {name: run.metrics[name] for name in RANX_NAMES}
    assert ours == pytest.approx({name: theirs[ranx] for name, ranx in RANX_NAMES.items()}, abs=1e-9)
    # The fake encoder does not rank perfectly: agreement is tested on a non-trivial run.
    assert 0.0 < float(ours["mrr@10"] or 0.0) < 1.0
