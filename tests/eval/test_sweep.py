"""The sweep's plumbing with the fake encoder (the real sweep uses the packaged model)."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from eval.questions import load_questions
from eval.tuning.sweep import format_row, header, markdown, parse_fusion, run_sweep
from indexer.search.fusion import FusionConfig
from tests.fakes import FakeEncoder


def test_parse_fusion() -> None:
    assert parse_fusion("rrf:0.3") == FusionConfig(method="rrf", weight=0.3)
    assert parse_fusion("rrf:0.5:10") == FusionConfig(method="rrf", weight=0.5, rrf_k=10)
    assert parse_fusion("convex:0.7") == FusionConfig(method="convex", weight=0.7)
    for bad in ("rrf", "convex:x", "max:0.5", "convex:0.5:3"):
        with pytest.raises(argparse.ArgumentTypeError):
            parse_fusion(bad)


def test_one_row_per_valid_chunking_and_fusion(
    real_seeds: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    calibration: list = []  # type: ignore[type-arg]
    rows = run_sweep(
        real_seeds,
        load_questions(),
        FakeEncoder(),
        chunk_tokens=[64, 128],
        overlap_tokens=[0, 64],
        fusions=[FusionConfig(method="rrf", weight=0.5), FusionConfig(method="convex", weight=0.3)],
        workdir=tmp_path,
        calibration=calibration,
    )
    # 64/64 is not a valid chunking and is skipped.
    assert [(r.chunk_tokens, r.overlap_tokens, r.fusion) for r in rows] == [
        (64, 0, "rrf:0.5:60"),
        (64, 0, "convex:0.3"),
        (128, 0, "rrf:0.5:60"),
        (128, 0, "convex:0.3"),
        (128, 64, "rrf:0.5:60"),
        (128, 64, "convex:0.3"),
    ]
    assert rows[0].passages > rows[2].passages
    assert 0.0 < rows[0].chance_mrr < rows[2].chance_mrr < 1.0, "fewer, longer passages are easier by chance"
    # Fusion changes hybrid only.
    assert rows[0].metrics["dense"] == rows[1].metrics["dense"]
    assert calibration and calibration[0].threshold == 0.2
    printed = capsys.readouterr().out
    assert printed.count("\n") == len(rows)
    assert len(header().split()) == len(format_row(rows[0]).split())
    assert markdown(rows).count("\n") == len(rows) + 1
