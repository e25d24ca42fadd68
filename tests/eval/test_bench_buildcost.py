"""polysearch bench --build: the table's arithmetic, and the real children on the seeds."""

from __future__ import annotations

from pathlib import Path

from eval.bench.buildcost import VariantRun, render_buildcost, run_buildcost
from tests.conftest import SEEDS


def test_table_reports_medians_ratios_to_the_floor_and_ask_percentiles() -> None:
    runs = [
        VariantRun("floor", 10.0, 100, 5, 300.0),
        VariantRun("lazy", 12.0, 100, 5, 320.0, cold_ms=[900.0, 1100.0], warm_ms=[30.0, 40.0]),
        VariantRun("build", 20.0, 100, 5, 350.0, cold_ms=[30.0], warm_ms=[30.0]),
        VariantRun("floor", 30.0, 100, 5, 310.0),
        VariantRun("lazy", 14.0, 100, 5, 330.0, cold_ms=[1000.0], warm_ms=[35.0]),
        VariantRun("build", 22.0, 100, 5, 340.0, cold_ms=[31.0], warm_ms=[31.0]),
    ]
    table = render_buildcost(runs, command="polysearch bench --build X")
    rows = {line.split("|")[1].strip(): [c.strip() for c in line.split("|")[2:-1]] for line in table.splitlines()
            if line.startswith("| ") and "variant" not in line}  # fmt: skip
    assert rows["floor"][:4] == ["20.0", "5.0", "1.00x", "310"]
    assert rows["lazy"][:4] == ["13.0", "7.7", "0.65x", "330"]
    assert rows["lazy"][4:] == ["1000 / 1100", "35"]
    assert rows["build"][2] == "1.05x"


def test_children_build_and_ask_on_the_seeds(tmp_path: Path, shared_encoder_cache: Path) -> None:
    runs = run_buildcost(SEEDS, tmp_path, ["When did Polytech set up its office in Shanghai?"], rounds=1, say=print)
    assert [r.variant for r in runs] == ["floor", "lazy", "build"]
    assert len({r.passages for r in runs}) == 1 and runs[0].articles == 5
    assert all(r.peak_mib > 0 and r.seconds > 0 for r in runs)
    assert len(runs[1].cold_ms) == len(runs[1].warm_ms) == 1
    # Both indexes answer from the same vectors: the lazy one encodes its sentences on the cold ask.
    assert (tmp_path / "index-lazy").is_dir() and any((tmp_path / "index-lazy").glob("sentence-vectors-*"))
