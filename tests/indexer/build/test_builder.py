from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

import indexer.store.writer as writer
from indexer.build.builder import BuildOptions, build_index
from indexer.errors import BuildError
from indexer.search.retriever import Retriever
from indexer.store.keyword import TermCounts
from indexer.store.reader import load_index
from tests.conftest import REPO
from tests.fakes import FakeEncoder

OPTIONS = BuildOptions(chunk_tokens=32, overlap_tokens=8)


def test_unchanged_rebuild_encodes_nothing_and_writes_nothing(tiny_seeds: Path, tmp_path: Path) -> None:
    out = tmp_path / "index"
    first = build_index(tiny_seeds, out, FakeEncoder(), OPTIONS)
    assert first.written and sorted(first.added) == ["a_shanghai", "b_summit", "c_weatherless"]
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*")}
    encoder = FakeEncoder()
    second = build_index(tiny_seeds, out, encoder, OPTIONS)
    assert (encoder.texts_encoded, second.encoded, second.written) == (0, 0, False)
    assert second.unchanged == ["a_shanghai", "b_summit", "c_weatherless"]
    assert second.version == first.version
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*")} == before


def test_changed_added_and_removed_articles_reencode_only_themselves(tiny_seeds: Path, tmp_path: Path) -> None:
    out = tmp_path / "index"
    build_index(tiny_seeds, out, FakeEncoder(), OPTIONS)
    old = load_index(out)
    (tiny_seeds / "b_summit.txt").write_text("Summit\n\nThe summit moved to Harbin this year.", encoding="utf-8")
    (tiny_seeds / "c_weatherless.md").unlink()
    (tiny_seeds / "d_new.txt").write_text("New article\n\nA brand new lab opened in Suzhou.", encoding="utf-8")
    encoder = FakeEncoder()
    report = build_index(tiny_seeds, out, encoder, OPTIONS)
    new = load_index(out)
    assert (report.added, report.updated, report.removed, report.unchanged) == (
        ["d_new"],
        ["b_summit"],
        ["c_weatherless"],
        ["a_shanghai"],
    )
    changed = [p for p in new.passages if p.article_id in {"b_summit", "d_new"}]
    changed_sentences = [s for s in new.sentences if s.article_id in {"b_summit", "d_new"}]
    assert (report.encoded, report.sentences_encoded) == (len(changed), len(changed_sentences))
    assert encoder.texts_encoded == len(changed) + len(changed_sentences)
    kept_sentences = [i for i, s in enumerate(new.sentences) if s.article_id == "a_shanghai"]
    old_sentences = [i for i, s in enumerate(old.sentences) if s.article_id == "a_shanghai"]
    np.testing.assert_array_equal(old.sentence_embeddings[old_sentences], new.sentence_embeddings[kept_sentences])
    kept_old = [i for i, p in enumerate(old.passages) if p.article_id == "a_shanghai"]
    kept_new = [i for i, p in enumerate(new.passages) if p.article_id == "a_shanghai"]
    assert [old.passages[i] for i in kept_old] == [new.passages[i] for i in kept_new]
    np.testing.assert_array_equal(old.embeddings[kept_old], new.embeddings[kept_new])
    assert {p.article_id for p in new.passages} == {"a_shanghai", "b_summit", "d_new"}
    assert not list(out.glob(".tmp-*")) and len(list(out.glob("v-*"))) == 1


def test_rebuild_matches_a_fresh_build(tiny_seeds: Path, tmp_path: Path) -> None:
    incremental, fresh = tmp_path / "inc", tmp_path / "fresh"
    build_index(tiny_seeds, incremental, FakeEncoder(), OPTIONS)
    (tiny_seeds / "b_summit.txt").write_text("Summit\n\nThe summit moved to Harbin.", encoding="utf-8")
    build_index(tiny_seeds, incremental, FakeEncoder(), OPTIONS)
    build_index(tiny_seeds, fresh, FakeEncoder(), OPTIONS)
    a, b = load_index(incremental), load_index(fresh)
    assert a.version == b.version and a.passages == b.passages
    np.testing.assert_allclose(a.embeddings, b.embeddings)


def test_new_chunk_settings_rebuild_everything(tiny_seeds: Path, tmp_path: Path) -> None:
    out = tmp_path / "index"
    build_index(tiny_seeds, out, FakeEncoder(), OPTIONS)
    encoder = FakeEncoder()
    report = build_index(tiny_seeds, out, encoder, BuildOptions(chunk_tokens=64, overlap_tokens=0))
    assert report.written and encoder.texts_encoded == report.passages + report.sentences_encoded


def test_no_readable_articles_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "seeds").mkdir()
    with pytest.raises(BuildError, match="no readable"):
        build_index(tmp_path / "seeds", tmp_path / "index", FakeEncoder(), OPTIONS)


class _Interrupting(FakeEncoder):
    def encode(self, texts, *, batch_size=64, show_progress=False):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt


def _change(seeds: Path) -> None:
    (seeds / "a_shanghai.txt").write_text("Changed\n\nEverything about Shanghai changed.", encoding="utf-8")


def test_ctrl_c_during_encoding_keeps_the_old_index(tiny_seeds: Path, tiny_index: Path) -> None:
    version = load_index(tiny_index).version
    _change(tiny_seeds)
    with pytest.raises(KeyboardInterrupt):
        build_index(tiny_seeds, tiny_index, _Interrupting(), OPTIONS)
    assert load_index(tiny_index).version == version


@pytest.mark.parametrize("failing", ["np_save", "keyword_save", "switch"])
def test_disk_full_while_writing_keeps_the_old_index(
    tiny_seeds: Path, tiny_index: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    version = load_index(tiny_index).version

    def disk_full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    target = {
        "np_save": (np, "save"),
        "keyword_save": (TermCounts, "save"),
        "switch": (writer, "switch_current"),
    }
    monkeypatch.setattr(*target[failing], disk_full)
    _change(tiny_seeds)
    with pytest.raises(OSError, match="No space"):
        build_index(tiny_seeds, tiny_index, FakeEncoder(), OPTIONS)
    assert load_index(tiny_index).version == version
    assert not list(tiny_index.glob(".tmp-*"))


# A build in a child process that stops at a chosen point so the test can kill -9 it there.
_CHILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    import indexer.store.writer as writer
    from indexer.build.builder import BuildOptions, build_index
    from tests.fakes import FakeEncoder

    seeds, out, marker, where = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]

    def hang(*args, **kwargs):
        marker.write_text(where)
        time.sleep(600)

    class Hanging(FakeEncoder):
        def encode(self, texts, **kwargs):
            hang()

    if where == "encode":
        encoder = Hanging()
    else:
        encoder = FakeEncoder()
        if where == "fsync":
            writer.fsync_tree = hang
        else:
            real = writer.switch_current
            def half_switch(index_dir, name):
                # The new version is renamed into place; CURRENT still names the old one.
                hang()
            writer.switch_current = half_switch
    build_index(seeds, out, encoder, BuildOptions(chunk_tokens=32, overlap_tokens=8))
    """
)


@pytest.mark.parametrize("where", ["encode", "fsync", "switch"])
def test_kill_9_at_any_stage_keeps_the_old_index(
    tiny_seeds: Path, tiny_index: Path, tmp_path: Path, where: str
) -> None:
    version = load_index(tiny_index).version
    _change(tiny_seeds)
    marker = tmp_path / "reached"
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(tiny_seeds), str(tiny_index), str(marker), where],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    try:
        for _ in range(600):
            if marker.exists() or child.poll() is not None:
                break
            time.sleep(0.1)
        assert marker.exists(), "child build never reached the kill point"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert load_index(tiny_index).version == version
    # The next build cleans up after the dead one and succeeds.
    report = build_index(tiny_seeds, tiny_index, FakeEncoder(), OPTIONS)
    assert report.written and load_index(tiny_index).version == report.version != version
    assert not list(tiny_index.glob(".tmp-*")) and len(list(tiny_index.glob("v-*"))) == 1


def test_retriever_serves_the_index_it_loaded_while_a_rebuild_switches(tiny_seeds: Path, tiny_index: Path) -> None:
    encoder = FakeEncoder()
    retriever = Retriever.open(tiny_index, encoder=encoder)
    _change(tiny_seeds)
    build_index(tiny_seeds, tiny_index, FakeEncoder(), OPTIONS)
    hits = retriever.search("Gao Jun delegation", k=3)
    assert hits and all(h.passage.article_id in retriever.index.articles for h in hits)


def test_a_new_text_pipeline_rebuilds_unchanged_files(
    tiny_seeds: Path, tiny_index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import indexer.build.builder

    old = load_index(tiny_index).version
    monkeypatch.setattr(indexer.build.builder, "PIPELINE_VERSION", indexer.build.builder.PIPELINE_VERSION + 1)
    encoder = FakeEncoder()
    report = build_index(tiny_seeds, tiny_index, encoder, OPTIONS)
    assert report.written and report.version != old and encoder.texts_encoded > 0
