"""Floors and ceilings: what fails, and the shipped floors file is valid."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.errors import EvalError
from eval.floors import DEFAULT_FLOORS, Floors, check_floors, floors_from, load_floors, write_floors


def test_floors_and_ceilings() -> None:
    floors = Floors(floors={"hybrid": {"mrr@10": 0.8, "answer_acc": 0.5}}, ceilings={"hybrid": {"false_abstain": 0.1}})
    good = {"hybrid": {"mrr@10": 0.8, "answer_acc": 0.6, "false_abstain": 0.1}}
    assert check_floors(good, floors) == []
    bad = {"hybrid": {"mrr@10": 0.79, "answer_acc": None, "false_abstain": 0.2}}
    failures = check_floors(bad, floors)
    assert len(failures) == 3
    assert any("mrr@10 = 0.7900, below" in f for f in failures)
    assert any("answer_acc: no value" in f for f in failures)
    assert any("false_abstain = 0.2000, above" in f for f in failures)
    # Modes that were not evaluated are not judged.
    assert check_floors({"dense": {"mrr@10": 0.0}}, floors) == []


def test_shipped_floors_cover_every_mode() -> None:
    floors = load_floors(DEFAULT_FLOORS)
    modes = {"dense", "keyword", "hybrid"}
    assert set(floors.floors) == modes | {f"archive:{mode}" for mode in modes}
    for hybrid in ("hybrid", "archive:hybrid"):
        assert "mrr@10" in floors.floors[hybrid] and "answer_acc" in floors.floors[hybrid]
        assert "abstain_unanswerable" in floors.floors[hybrid] and "false_abstain" in floors.ceilings[hybrid]


def test_bad_floors_files(tmp_path: Path) -> None:
    path = tmp_path / "floors.json"
    path.write_text('{"floors": {"hybrid": {"mrr@100": 0.5}}}')
    with pytest.raises(EvalError, match="unknown metric"):
        load_floors(path)
    path.write_text("{")
    with pytest.raises(EvalError, match="not a valid floors file"):
        load_floors(path)
    with pytest.raises(EvalError, match="cannot read"):
        load_floors(tmp_path / "missing.json")


def test_floors_from_measurements_sit_one_question_below(tmp_path: Path) -> None:
    measured = {
        "hybrid": {
            **dict.fromkeys(("hit@1", "hit@3", "hit@5", "hit@10", "mrr@10", "ndcg@10"), 0.5),
            "answer_acc": 0.6,
            "abstain_unanswerable": 0.75,
            "false_abstain": 0.1,
            "n_questions": 110,
            "n_unanswerable": 10,
        },
        "dense": {"mrr@10": 0.4, "n_questions": 110, "n_unanswerable": 10},
    }
    floors = floors_from(measured, measured_with="test")
    assert floors.floors["hybrid"]["mrr@10"] == 0.49  # 0.5 - 1/100
    assert floors.floors["hybrid"]["answer_acc"] == 0.59
    assert floors.floors["hybrid"]["abstain_unanswerable"] == 0.65  # one of ten unanswerable
    assert floors.ceilings["hybrid"]["false_abstain"] == 0.11
    assert floors.floors["dense"]["mrr@10"] == 0.39 and "answer_acc" not in floors.floors["dense"]
    assert check_floors(measured, floors) == []
    path = tmp_path / "floors.json"
    write_floors(path, floors)
    assert load_floors(path) == floors
