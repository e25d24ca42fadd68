"""Merging from the command line: after `polysearch index` and `sync` updates, in the background, and on request."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from indexer.commands.main import main
from indexer.commands.sync import _merge_after_update
from indexer.store.layout import live_version_dir
from indexer.store.merging import BackgroundMerger
from indexer.store.plan import MAX_SEGMENTS
from indexer.store.reader import load_index
from tests.fakes import use_analyser
from tests.indexer.commands.test_cli import fake_model  # noqa: F401  (autouse: every backend is the fake)

UPDATES = MAX_SEGMENTS + 1  # one more segment than a merge allows


def _article(folder: Path, number: int) -> None:
    (folder / f"n{number:02d}.txt").write_text(
        f"News {number}\n\nThe university signed agreement number {number} with a partner in Harbin.", encoding="utf-8"
    )


def _segments(index_dir: Path) -> int:
    return len(load_index(index_dir).manifest.segments)


def _grow(command: list[str], folder: Path, capsys: pytest.CaptureFixture[str]) -> tuple[list[int], str]:
    """The first article, then one more per run of ``command``: each run's segment count, and what they printed."""
    folder.mkdir()
    _article(folder, 0)
    out = Path(command[command.index("--out") + 1])
    assert main(command) == 0
    counts = []
    for number in range(1, UPDATES + 1):
        _article(folder, number)
        assert main(command) == 0
        counts.append(_segments(out))
    return counts, capsys.readouterr().out


def test_index_merges_once_its_update_is_live(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder, out = tmp_path / "news", tmp_path / "index"
    counts, printed = _grow(["index", "--seeds", str(folder), "--out", str(out), "--quiet"], folder, capsys)
    assert max(counts) == MAX_SEGMENTS and counts[-1] < MAX_SEGMENTS, counts
    merged_to = counts[counts.index(MAX_SEGMENTS) + 1]
    assert printed.count(f"merged {MAX_SEGMENTS + 1} segments into {merged_to} (") == 1


def test_no_merge_leaves_the_segments_for_polysearch_merge(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder, out = tmp_path / "news", tmp_path / "index"
    argv = ["index", "--seeds", str(folder), "--out", str(out), "--quiet", "--no-merge"]
    counts, printed = _grow(argv, folder, capsys)
    assert counts == list(range(2, UPDATES + 2)) and "merged" not in printed
    version = load_index(out).version
    assert main(["merge", "--index", str(out)]) == 0
    assert f"merged {UPDATES + 1} segments into" in capsys.readouterr().out
    assert _segments(out) <= MAX_SEGMENTS and load_index(out).version == version
    assert main(["merge", "--index", str(out)]) == 0
    assert capsys.readouterr().out.strip() == f"index {out}: no merge due"
    assert main(["merge", "--index", str(out), "--all"]) == 0
    assert "into 1 (" in capsys.readouterr().out and _segments(out) == 1


def test_a_one_off_sync_merges_before_it_exits(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder, out = tmp_path / "news", tmp_path / "index"
    counts, printed = _grow(["sync", "--source", str(folder), "--out", str(out), "--quiet"], folder, capsys)
    assert max(counts) == MAX_SEGMENTS and counts[-1] < MAX_SEGMENTS, counts
    assert "merged" in printed


def test_sync_every_merges_in_a_background_thread(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder, out = tmp_path / "news", tmp_path / "index"
    counts, _ = _grow(["sync", "--source", str(folder), "--out", str(out), "--quiet", "--no-merge"], folder, capsys)
    assert counts[-1] == UPDATES + 1
    merger = BackgroundMerger(out)
    args = argparse.Namespace(every=60.0, out=out, json=False)
    live = live_version_dir(out)
    _merge_after_update(args, merger)
    merger.join(timeout_s=120)
    assert merger.last is not None and merger.error is None
    assert live_version_dir(out) != live and _segments(out) == merger.last.segments_after <= MAX_SEGMENTS
    assert capsys.readouterr().out == ""  # the loop's own reports are its only output


def test_merge_without_an_index_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["merge", "--index", str(tmp_path / "none")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no index at" in err and "Traceback" not in err


def test_merging_an_index_of_another_analyser_says_to_rebuild(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder, out = tmp_path / "news", tmp_path / "index"
    folder.mkdir()
    for number in range(2):
        _article(folder, number)
        assert main(["index", "--seeds", str(folder), "--out", str(out), "--quiet"]) == 0
    live = live_version_dir(out)
    use_analyser(monkeypatch, "an-analyser-of-a-newer-polysearch")
    assert main(["merge", "--index", str(out), "--all"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "rebuild it" in err and "Traceback" not in err
    assert live_version_dir(out) == live
