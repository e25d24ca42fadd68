"""Self-repair: a build rewrites a damaged live version and replaces a broken CURRENT; --verify reports."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from indexer.build.builder import BuildOptions, build_index
from indexer.commands.main import main
from indexer.errors import IndexCorruptError
from indexer.store.layout import CURRENT, live_version_dir
from indexer.store.reader import load_index, verify_index
from indexer.store.segments import BODIES, EMBEDDINGS, PASSAGES
from tests.damage import poison_vectors
from tests.fakes import FakeEncoder

OPTIONS = BuildOptions(chunk_tokens=32, overlap_tokens=8)
BROKEN_POINTERS = {
    "empty": b"",
    "blank": b"\n  \n",
    "not utf-8": b"\xff\xfe v-\x80\x81\n",
    "missing folder": b"v-0000000000000000\n",
    "not a version": b"../etc\n",
}


@pytest.mark.parametrize("victim", [PASSAGES, EMBEDDINGS, BODIES, "manifest.json", "keyword"])
def test_rebuilding_repairs_a_damaged_live_version(
    tiny_seeds: Path, tiny_index: Path, fake_encoder: FakeEncoder, victim: str
) -> None:
    version_dir = live_version_dir(tiny_index)
    target = version_dir / victim
    if target.is_dir():
        # Every file below it (the keyword index keeps a part per language in subfolders).
        for path in sorted(target.rglob("*"), reverse=True):
            path.rmdir() if path.is_dir() else path.unlink()
    else:
        target.unlink()
    with pytest.raises(IndexCorruptError):
        load_index(tiny_index)
    report = build_index(tiny_seeds, tiny_index, fake_encoder, OPTIONS)
    assert report.written
    loaded = load_index(tiny_index)
    assert loaded.version == report.version and loaded.directory.name == version_dir.name
    assert not list(tiny_index.glob(".tmp-*"))


def test_rebuilding_repairs_non_finite_vectors(tiny_seeds: Path, tiny_index: Path, fake_encoder: FakeEncoder) -> None:
    poison_vectors(live_version_dir(tiny_index))
    with pytest.raises(IndexCorruptError, match="non-finite"):
        load_index(tiny_index)
    assert build_index(tiny_seeds, tiny_index, fake_encoder, OPTIONS).written
    assert np.isfinite(load_index(tiny_index).embeddings).all()


@pytest.mark.parametrize("label", sorted(BROKEN_POINTERS))
def test_a_broken_current_is_one_line_everywhere_and_a_build_replaces_it(
    tiny_seeds: Path, tiny_index: Path, fake_encoder: FakeEncoder, label: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (tiny_index / CURRENT).write_bytes(BROKEN_POINTERS[label])
    for argv in (["search", "office", "--index", str(tiny_index)], ["serve", "--index", str(tiny_index)]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err and str(tiny_index / CURRENT) in err, err
    assert main(["index", "--verify", "--out", str(tiny_index)]) == 1
    assert "damaged" in capsys.readouterr().out
    report = build_index(tiny_seeds, tiny_index, fake_encoder, OPTIONS)
    assert report.written and load_index(tiny_index).version == report.version


def test_verify_reports_a_healthy_index_and_leftovers(tiny_index: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tiny_index / ".tmp-deadbeef-123").mkdir()
    (tiny_index / "v-0123456789abcdef").mkdir()
    assert main(["index", "--verify", "--out", str(tiny_index)]) == 0
    out = capsys.readouterr().out.splitlines()
    health = verify_index(tiny_index)
    assert out[0].startswith(f"index {tiny_index}: ok, version {health.version}, 3 articles")
    assert out[1] == "  leftovers the next build removes: .tmp-deadbeef-123, v-0123456789abcdef"


def test_the_next_build_removes_leftovers(tiny_seeds: Path, tiny_index: Path, fake_encoder: FakeEncoder) -> None:
    (tiny_index / ".tmp-deadbeef-123").mkdir()
    (tiny_index / "v-0123456789abcdef").mkdir()
    (tiny_seeds / "d_new.txt").write_text("New lab\n\nA new laboratory opened.", encoding="utf-8")
    build_index(tiny_seeds, tiny_index, fake_encoder, OPTIONS)
    assert verify_index(tiny_index).leftovers == []


def test_an_up_to_date_build_still_removes_leftovers(
    tiny_seeds: Path, tiny_index: Path, fake_encoder: FakeEncoder
) -> None:
    # What a build killed after switching CURRENT but before cleaning up leaves: the right index
    # and an older version folder (found by the campaign's kill at the last fsync).
    (tiny_index / "v-0123456789abcdef").mkdir()
    (tiny_index / ".tmp-deadbeef-123").mkdir()
    report = build_index(tiny_seeds, tiny_index, fake_encoder, OPTIONS)
    assert not report.written and verify_index(tiny_index).leftovers == []


def test_verify_without_an_index_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["index", "--verify", "--out", str(tmp_path / "none")]) == 2
    assert capsys.readouterr().err.count("\n") == 1


@pytest.mark.parametrize(
    "failure",
    [
        RuntimeError("Error in faiss::write_index: write error in dense.faiss: 4051 != 19456 (No space left)"),
        OSError("6592 requested and 2016 written"),  # how numpy reports a full disk: no errno
    ],
)
def test_a_full_disk_is_one_plain_error_and_leaves_the_old_index(
    tiny_seeds: Path,
    tiny_index: Path,
    fake_encoder: FakeEncoder,
    failure: Exception,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import errno
    import shutil
    from collections import namedtuple

    from indexer.store.dense import DenseIndex

    before = load_index(tiny_index).version

    def fail(*args: object, **kwargs: object) -> None:
        raise failure

    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(DenseIndex, "save", fail)
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(10**6, 10**6, 0))
    (tiny_seeds / "d_new.txt").write_text("New lab\n\nA new laboratory opened.", encoding="utf-8")
    with pytest.raises(OSError) as raised:
        build_index(tiny_seeds, tiny_index, fake_encoder, OPTIONS)
    assert raised.value.errno == errno.ENOSPC and "previous index is untouched" in str(raised.value)
    assert load_index(tiny_index).version == before and not list(tiny_index.glob(".tmp-*"))


def test_a_manifest_that_is_not_utf8_is_corrupt_not_a_crash(tiny_index: Path) -> None:
    manifest = live_version_dir(tiny_index) / "manifest.json"
    data = bytearray(manifest.read_bytes())
    data[0] = 0x94  # what a flipped bit can do to the opening brace
    manifest.write_bytes(bytes(data))
    with pytest.raises(IndexCorruptError, match="not a valid manifest"):
        load_index(tiny_index)
    assert not verify_index(tiny_index).ok
