"""Floors and ceilings: what fails, and the shipped floors file is valid."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.errors import EvalError
from eval.floors import DEFAULT_FLOORS, Floors, check_floors, load_floors


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
    assert set(floors.floors) == {"dense", "keyword", "hybrid"}
    assert "mrr@10" in floors.floors["hybrid"] and "answer_acc" in floors.floors["hybrid"]
    assert "false_abstain" in floors.ceilings["hybrid"]


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
