"""The real packaged model, end to end: what a user runs after a fresh clone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from indexer.build.builder import BuildOptions, build_index
from indexer.encoders.torch_backend import SentenceTransformerEncoder
from indexer.search.retriever import Retriever
from indexer.store.reader import load_index

pytestmark = pytest.mark.model

QUESTION = "When was the representative office in Shanghai opened?"


@pytest.fixture(scope="module")
def encoder() -> SentenceTransformerEncoder:
    return SentenceTransformerEncoder()


def test_packaged_model_loads_offline(encoder: SentenceTransformerEncoder) -> None:
    assert (encoder.name, encoder.dimension, encoder.max_seq_length) == (
        "sentence-transformers/all-MiniLM-L6-v2",
        384,
        256,
    )
    vectors = encoder.encode(["hello", "мир"])
    assert vectors.shape == (2, 384)


def test_build_and_search_with_the_real_model(
    real_seeds: Path, tmp_path: Path, encoder: SentenceTransformerEncoder
) -> None:
    out = tmp_path / "index"
    report = build_index(real_seeds, out, encoder, BuildOptions())
    index = load_index(out)
    assert report.passages == len(index.passages) > 5
    for passage in index.passages:
        assert encoder.count_tokens(f"{passage.title}\n{passage.text}") <= encoder.max_seq_length
    retriever = Retriever(index, encoder)
    for mode in ("dense", "hybrid"):
        top = retriever.search(QUESTION, k=1, mode=mode)[0]  # type: ignore[arg-type]
        assert top.passage.article_id == "000_7a98eeee1861e3cd" and "April 2016" in top.passage.text, mode
    # BM25 alone prefers the Shanghai digest (more shared words) but still ranks the answer high.
    keyword = retriever.search(QUESTION, k=3, mode="keyword")
    assert any("April 2016" in hit.passage.text for hit in keyword)


def test_cli_index_then_search(real_seeds: Path, tmp_path: Path) -> None:
    out = tmp_path / "index"
    cli = [sys.executable, "-m", "indexer.commands"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    built = subprocess.run(
        [*cli, "index", "--seeds", str(real_seeds), "--out", str(out)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    assert "added 5" in built.stdout
    assert "building: 5/5 articles, 20 passages" in built.stderr  # the progress line
    found = subprocess.run(
        [*cli, "search", QUESTION, "--index", str(out), "--json"], capture_output=True, text=True, env=env, check=False
    )
    assert found.returncode == 0, found.stderr
    first = json.loads(found.stdout)[0]
    assert first["article_id"] == "000_7a98eeee1861e3cd" and "April 2016" in first["text"]
