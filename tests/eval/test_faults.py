"""The fault campaign's build scenarios on the tiny corpus: they run, count and find nothing broken."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.errors import EvalError
from eval.faults.builds import Row, corrupt_each_file_kind, kill_at_random_instants, prepare
from eval.faults.run import CampaignOptions, main, render_campaign, run_campaign
from eval.faults.service import _in_app_p99


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


def test_only_runs_the_named_scenarios(tiny_seeds: Path) -> None:
    said: list[str] = []
    rows, _ = run_campaign(CampaignOptions(seeds=tiny_seeds), only=["corruption"], say=said.append)
    assert [row.scenario for row in rows] == ["corruption of each file kind"]
    assert not any("kill" in line or "overload" in line for line in said)
    with pytest.raises(EvalError, match="unknown scenario overlaod"):
        run_campaign(CampaignOptions(seeds=tiny_seeds), only=["overlaod"])


def test_the_command_line_refuses_an_unknown_scenario(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--only", "everything"])
    assert exit_info.value.code == 2 and "invalid choice: 'everything'" in capsys.readouterr().err


def test_in_app_p99_reads_the_histogram_between_two_reads() -> None:
    key = ("/search", "503")
    before = {key: [(0.005, 10.0), (0.01, 10.0), (0.1, 10.0), (float("inf"), 10.0)]}
    # 100 new observations: 98 under 5 ms, one under 10 ms, one under 100 ms.
    after = {key: [(0.005, 108.0), (0.01, 109.0), (0.1, 110.0), (float("inf"), 110.0)]}
    assert _in_app_p99(before, after, key) == 0.01
    assert _in_app_p99(before, before, key) == 0.0
    slow = {key: [(0.005, 60.0), (0.01, 100.0), (0.1, 110.0), (float("inf"), 110.0)]}
    assert _in_app_p99(before, slow, key) == 0.1  # 10 of the 100 new ones took over 10 ms
