"""Merging after an update is live: same content and rankings, fewer segments, never a half-done switch."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import pytest

from indexer.build.builder import build_index
from indexer.errors import BuildError, IndexCorruptError, IndexNotFoundError
from indexer.store import checksums, plan, writer
from indexer.store.layout import CURRENT, TOMBSTONES, live_version_dir
from indexer.store.locking import write_lock
from indexer.store.merging import BackgroundMerger, merge_index, merge_once
from indexer.store.plan import MAX_SEGMENTS
from indexer.store.reader import load_index, verify_index
from tests.conftest import SEEDS
from tests.fakes import FakeEncoder
from tests.indexer.store.test_segments import OPTIONS, _extra_articles, _folder, _one_shot, _snapshot


def _grown(tmp_path: Path, updates: int) -> tuple[Path, Path, list[str], dict[str, str]]:
    """The seeds indexed at once, then ``updates`` extra articles added one build each."""
    extra = _extra_articles()
    seeds = sorted(p.name for p in SEEDS.glob("*.txt"))
    folder, out = _folder(tmp_path / "articles", seeds, extra), tmp_path / "index"
    build_index(folder, out, FakeEncoder(), OPTIONS)
    for name in sorted(extra)[:updates]:
        (folder / name).write_text(extra[name], encoding="utf-8")
        build_index(folder, out, FakeEncoder(), OPTIONS)
    return folder, out, seeds + sorted(extra)[:updates], extra


def _bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def test_a_due_merge_keeps_the_content_and_every_ranking(tmp_path: Path) -> None:
    _, out, names, extra = _grown(tmp_path, 10)
    before = load_index(out)
    assert len(before.manifest.segments) == 11
    old_folder, version = before.directory, before.version
    del before
    report = merge_once(out)
    assert report is not None
    after = load_index(out)
    assert len(after.manifest.segments) == report.segments_after <= MAX_SEGMENTS
    assert report.segments_before == 11 and report.version == after.version == version
    # A folder of its own (same content version), the old one removed once CURRENT moved.
    assert after.directory.name == report.folder != old_folder.name and not old_folder.exists()
    assert 0 < report.bytes_written < _bytes(after.directory)
    assert verify_index(out).ok and verify_index(out).leftovers == []
    assert _snapshot(out) == _one_shot(tmp_path, names, extra)
    assert merge_once(out) is None  # nothing more is due


def test_after_a_merge_updates_go_on_from_the_merged_version(tmp_path: Path) -> None:
    folder, out, names, extra = _grown(tmp_path, 10)
    assert merge_once(out) is not None
    merged = load_index(out).manifest.segments
    name = sorted(extra)[10]
    (folder / name).write_text(extra[name], encoding="utf-8")
    (folder / names[0]).unlink()
    report = build_index(folder, out, FakeEncoder(), OPTIONS)
    assert report.written and report.added == [name.removesuffix(".txt")]
    assert len(load_index(out).manifest.segments) == len(merged) + 1
    assert _snapshot(out) == _one_shot(tmp_path, [*names[1:], name], extra)


def test_merging_everything_leaves_one_segment_and_no_deleted_rows(tmp_path: Path) -> None:
    folder, out, names, extra = _grown(tmp_path, 3)
    (folder / names[1]).unlink()  # a seed: its rows in the first segment are marked deleted
    build_index(folder, out, FakeEncoder(), OPTIONS)
    assert merge_once(out) is None  # four segments, the first only a fifth deleted: nothing is due
    report = merge_once(out, everything=True)
    assert report is not None and report.segments_after == 1
    assert (live_version_dir(out) / TOMBSTONES).read_text("utf-8") == "{}"
    names.remove(names[1])
    assert _snapshot(out) == _one_shot(tmp_path, names, extra)
    assert merge_once(out, everything=True) is None


def test_a_forced_dense_index_is_kept_by_the_merge(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(writer, "choose_kind", lambda n: "hnsw")  # what a large archive would choose
    extra = _extra_articles()
    seeds = sorted(p.name for p in SEEDS.glob("*.txt"))
    folder, out = _folder(tmp_path / "articles", seeds, extra), tmp_path / "index"
    flat = type(OPTIONS)(dense_kind="flat")
    build_index(folder, out, FakeEncoder(), flat)
    for name in sorted(extra)[:2]:
        (folder / name).write_text(extra[name], encoding="utf-8")
        build_index(folder, out, FakeEncoder(), flat)
    assert load_index(out).manifest.dense_requested == "flat"
    assert merge_once(out, everything=True) is not None
    assert {s.dense_index for s in load_index(out).manifest.segments} == {"flat"}


def test_no_merge_while_a_build_holds_the_lock(tmp_path: Path) -> None:
    _, out, _, _ = _grown(tmp_path, MAX_SEGMENTS)
    live = live_version_dir(out)
    with write_lock(out, wait=True):
        assert merge_once(out) is None
    assert live_version_dir(out) == live
    assert merge_once(out) is not None


def test_a_version_that_is_no_longer_live_is_not_merged(tmp_path: Path) -> None:
    folder, out, _, extra = _grown(tmp_path, MAX_SEGMENTS)
    stale = load_index(out)
    name = sorted(extra)[MAX_SEGMENTS]
    (folder / name).write_text(extra[name], encoding="utf-8")
    build_index(folder, out, FakeEncoder(), OPTIONS)
    current = (out / CURRENT).read_text("utf-8")
    assert merge_index(out, stale) is None
    assert (out / CURRENT).read_text("utf-8") == current


def test_a_merge_that_fails_leaves_the_live_version_and_no_litter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, out, names, extra = _grown(tmp_path, MAX_SEGMENTS)
    live = live_version_dir(out)

    def full_disk(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as patched, pytest.raises(OSError, match="previous index is untouched"):
        patched.setattr(writer, "write_segment", full_disk)
        merge_once(out)
    assert live_version_dir(out) == live and verify_index(out).ok and verify_index(out).leftovers == []
    assert _snapshot(out) == _one_shot(tmp_path, names, extra)


def test_a_damaged_segment_is_never_carried_into_a_merge(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _, out, _, _ = _grown(tmp_path, MAX_SEGMENTS)
    monkeypatch.setattr(checksums, "DEFER_CHECKSUM_BYTES", 0)  # as for an archive's large files: sizes first
    live = live_version_dir(out)
    smallest = load_index(out).manifest.segments[-1].path
    damaged = live / smallest / "embeddings.npy"
    data = bytearray(damaged.read_bytes())
    data[-1] ^= 0x01  # same size: only the checksum can tell
    damaged.write_bytes(bytes(data))
    with pytest.raises(IndexCorruptError, match="checksum"):
        merge_once(out)
    assert live_version_dir(out) == live and not list(out.glob(".tmp-*"))


@pytest.mark.parametrize(
    ("module", "where", "failure"),
    [
        (writer, "write_segment", BuildError("cannot write the index: boom")),
        (plan, "merge_content", ValueError("boom")),
    ],
)
def test_a_background_merge_reports_its_result_and_its_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, module: object, where: str, failure: Exception
) -> None:
    _, out, _, _ = _grown(tmp_path, MAX_SEGMENTS)
    merger = BackgroundMerger(out)
    live = live_version_dir(out)

    def broken(*args: object, **kwargs: object) -> None:
        raise failure

    with monkeypatch.context() as patched:
        patched.setattr(module, where, broken)
        assert merger.start()
        merger.join()
    assert merger.last is None and merger.error == str(failure)
    assert live_version_dir(out) == live and not list(out.glob(".tmp-*"))
    assert merger.start()
    merger.join()
    assert merger.error is None and merger.last is not None
    assert len(load_index(out).manifest.segments) == merger.last.segments_after < MAX_SEGMENTS + 1


def test_merging_no_index_says_so(tmp_path: Path) -> None:
    assert merge_once(tmp_path / "absent") is None
    (tmp_path / "empty").mkdir()
    with pytest.raises(IndexNotFoundError):
        merge_once(tmp_path / "empty", everything=True)


def test_a_build_waits_for_a_running_merge(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    folder, out, _, extra = _grown(tmp_path, 1)
    name = sorted(extra)[5]
    (folder / name).write_text(extra[name], encoding="utf-8")
    live = live_version_dir(out)
    outcome: list[bool] = []
    with caplog.at_level(logging.INFO, logger="indexer.store.locking"), write_lock(out, wait=True):
        builder = threading.Thread(
            target=lambda: outcome.append(build_index(folder, out, FakeEncoder(), OPTIONS).written)
        )
        builder.start()
        for _ in range(600):  # bounded: at most 60 s for the build to reach the lock
            if any(r.message == "index_busy_waiting" for r in caplog.records):
                break
            time.sleep(0.1)
        assert any(r.message == "index_busy_waiting" for r in caplog.records)
        assert live_version_dir(out) == live and builder.is_alive()
    builder.join(timeout=120)
    assert outcome == [True] and live_version_dir(out) != live
