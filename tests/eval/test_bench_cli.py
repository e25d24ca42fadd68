"""``polysearch bench --growth`` hands the chosen sizes to the growth run, and rejects bad ones."""

from __future__ import annotations

from pathlib import Path

import pytest

import eval.bench.growth as growth
from indexer.commands.main import main


def test_sizes_reach_the_growth_run(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: list[growth.GrowthOptions] = []

    def fake_run(options: growth.GrowthOptions) -> growth.GrowthResult:
        seen.append(options)
        return growth.GrowthResult(machine={}, plan="full")

    monkeypatch.setattr(growth, "run_growth", fake_run)
    monkeypatch.setattr(growth, "render_growth", lambda result, command: "table")
    argv = ["bench", "--growth", "--full", "--sizes", "100000", "--ann-sizes", "1000", "2000"]
    assert main([*argv, "--json", str(tmp_path / "g.json"), "--work-dir", str(tmp_path / "w")]) == 0
    assert [(o.full, o.sizes, o.ann_sizes) for o in seen] == [(True, (100_000,), (1000, 2000))]
    assert (tmp_path / "g.json").is_file()


def test_a_size_must_be_positive(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["bench", "--growth", "--sizes", "0"])
    assert exit_info.value.code == 2
    assert "must be at least 1" in capsys.readouterr().err
