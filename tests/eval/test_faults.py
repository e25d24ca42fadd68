"""The fault campaign's build scenarios on the tiny corpus: they run, count and find nothing broken."""

from __future__ import annotations

from pathlib import Path

from eval.faults.builds import Row, corrupt_each_file_kind, kill_at_random_instants, prepare
from eval.faults.run import render_campaign


def test_killed_and_corrupted_builds_leave_a_verified_index(tiny_seeds: Path, tmp_path: Path) -> None:
    corpus = prepare(tiny_seeds, tmp_path)
    assert corpus.version_a != corpus.version_b
    killed = kill_at_random_instants(corpus, tmp_path, tries=2, seed=1)
    assert (killed.tries, killed.failures) == (2, 0), killed.notes
    corrupted = corrupt_each_file_kind(corpus, tmp_path)
    # Every file of a version, three damages each, plus NaN vectors and three broken CURRENTs.
    assert corrupted.tries >= 3 * 8 + 1 + 3 and corrupted.failures == 0, corrupted.notes


def test_the_table_lists_each_scenario_and_its_failures() -> None:
    rows = [Row("a", 3, 0, "all fine"), Row("b", 2, 1, "one broke", ["try 1: left a damaged index"])]
    table = render_campaign(rows, seconds=12.3, command="python -m eval.faults")
    assert "| a | 3 | 0 | all fine |" in table and "| b | 2 | 1 | one broke |" in table
    assert "- b: try 1: left a damaged index" in table
