"""The build chunks and encodes a bounded group of articles at a time, with progress; results do not depend on it."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from indexer.build.builder import BuildOptions, build_index
from indexer.encoders.base import Vectors
from indexer.store.reader import load_index
from tests.fakes import FakeEncoder


class CountingEncoder(FakeEncoder):
    """Records how many texts each call was given."""

    def __init__(self) -> None:
        super().__init__()
        self.sizes: list[int] = []

    def encode(self, texts: Sequence[str], *, batch_size: int = 64, show_progress: bool = False) -> Vectors:
        self.sizes.append(len(texts))
        return super().encode(texts, batch_size=batch_size, show_progress=show_progress)


@pytest.fixture
def many_seeds(tmp_path: Path) -> Path:
    seeds = tmp_path / "many"
    seeds.mkdir()
    for i in range(12):
        body = " ".join(f"Sentence {j} of article {i} names topic{i}x{j} and more words." for j in range(30))
        (seeds / f"a{i:02d}.txt").write_text(f"Article {i}\n\n{body}\n", encoding="utf-8")
    return seeds


def _options(**kwargs: object) -> BuildOptions:
    return BuildOptions(chunk_tokens=64, overlap_tokens=8, **kwargs)  # type: ignore[arg-type]


def test_groups_bound_each_encoder_call_and_change_nothing(many_seeds: Path, tmp_path: Path) -> None:
    whole, grouped = CountingEncoder(), CountingEncoder()
    build_index(many_seeds, tmp_path / "whole", whole, _options(group_passages=10_000))
    build_index(many_seeds, tmp_path / "grouped", grouped, _options(group_passages=8))
    a, b = load_index(tmp_path / "whole"), load_index(tmp_path / "grouped")
    assert a.version == b.version
    np.testing.assert_array_equal(np.asarray(a.embeddings[np.arange(len(a.passages))]),
                                  np.asarray(b.embeddings[np.arange(len(b.passages))]))  # fmt: skip
    rows = np.arange(len(a.sentences))
    np.testing.assert_array_equal(np.asarray(a.sentence_embeddings[rows]), np.asarray(b.sentence_embeddings[rows]))
    assert len(whole.sizes) == 1  # one group: the old single pass
    assert len(grouped.sizes) > 3


def test_each_encoder_call_holds_one_bounded_group(many_seeds: Path, tmp_path: Path) -> None:
    # Lazy sentences, so every text the encoder gets is a passage: a group closes at 8 passages or
    # more, so it holds at most 7 plus one article's passages, however large the archive.
    encoder = CountingEncoder()
    build_index(many_seeds, tmp_path / "index", encoder, _options(group_passages=8, sentence_vectors="lazy"))
    index = load_index(tmp_path / "index")
    per_article = max(len(index.passages.rows_of(i)) for i in index.articles)
    assert sum(encoder.sizes) == len(index.passages)
    assert max(encoder.sizes) <= 7 + per_article < len(index.passages)


def test_progress_shows_articles_passages_and_time_left(
    many_seeds: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="indexer.build.builder"):
        build_index(many_seeds, tmp_path / "index", FakeEncoder(), _options(group_passages=8, show_progress=True))
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("building:")]
    assert len(lines) > 1
    assert lines[-1].startswith("building: 12/12 articles, ")
    assert "passages" in lines[-1] and "left" in lines[-1] and "Batches" not in lines[-1]
    events = [r for r in caplog.records if r.getMessage() == "build_progress"]
    assert len(events) == len(lines)
    fields = [r.__dict__ for r in events]
    assert [f["articles"] for f in fields] == sorted(f["articles"] for f in fields)
    assert fields[-1]["of"] == 12 and fields[-1]["eta_s"] == 0.0
    assert fields[-1]["passages"] == int(lines[-1].split(", ")[1].split()[0])
