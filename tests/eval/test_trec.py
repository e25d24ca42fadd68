"""TREC run and qrels files: standard columns, and an order no tool can reshuffle."""

from __future__ import annotations

from pathlib import Path

from eval.records import Retrieved
from eval.trec import qrels_lines, run_lines, write_qrels, write_run


def _hits() -> list[Retrieved]:
    # Equal fused scores, as RRF produces: the file must still keep our order.
    return [
        Retrieved(rank=1, score=0.5, passage_id="b#10", article_id="b", text=""),
        Retrieved(rank=2, score=0.5, passage_id="b#2", article_id="b", text=""),
        Retrieved(rank=3, score=0.1, passage_id="a#0", article_id="a", text=""),
    ]


def test_run_lines_have_six_columns_and_strictly_decreasing_scores() -> None:
    lines = run_lines({"q001": _hits(), "q002": []}, tag="polysearch-hybrid")
    assert lines == [
        "q001 Q0 b#10 1 3 polysearch-hybrid",
        "q001 Q0 b#2 2 2 polysearch-hybrid",
        "q001 Q0 a#0 3 1 polysearch-hybrid",
    ]


def test_qrels_lines_are_sorted_binary_judgements() -> None:
    assert qrels_lines({"q001": {"b#2", "a#0"}, "q002": set()}) == ["q001 0 a#0 1", "q001 0 b#2 1"]


def test_files_are_written_with_parents(tmp_path: Path) -> None:
    run, qrels = tmp_path / "out" / "run.trec", tmp_path / "out" / "qrels.trec"
    write_run(run, {"q001": _hits()}, tag="t")
    write_qrels(qrels, {"q001": {"a#0"}})
    assert run.read_text().count("\n") == 3
    assert qrels.read_text() == "q001 0 a#0 1\n"
