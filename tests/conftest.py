"""Shared fixtures: tiny articles, the fake encoder, and indexes built from them."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from indexer.build.builder import BuildOptions, build_index
from indexer.search.retriever import Retriever
from tests.fakes import FakeEncoder

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"

TINY_ARTICLES = {
    "a_shanghai.txt": (
        "Office opens in Shanghai\n\n1 June 2023 International activities 12\n\n"
        "The university opened a representative office in Shanghai in April 2016. "
        "It was the first office of a Russian university in China.\n\nPrint version"
    ),
    "b_summit.txt": (
        "Summit of technical universities\n\n"
        "The ATURC summit took place in Xi'an. Sixty-eight universities are members of the association. "
        "Professor Ivanov presented the university.\n\nДата публикации: 2022.06.10\n\n>>Перейти к новости"
    ),
    "c_weatherless.md": (
        "## Delegation from Jiangsu\n\n"
        "A delegation led by Gao Jun visited St. Petersburg. The parties discussed internships and joint labs."
    ),
}


@pytest.fixture(scope="session", autouse=True)
def shared_encoder_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One ONNX export per test session, shared by every real-model build (CLI subprocesses too)."""
    cache = Path(os.environ.setdefault("POLYSEARCH_ENCODER_CACHE", str(tmp_path_factory.mktemp("encoder-cache"))))
    return cache


@pytest.fixture
def fake_encoder() -> FakeEncoder:
    return FakeEncoder()


@pytest.fixture
def tiny_seeds(tmp_path: Path) -> Path:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for name, text in TINY_ARTICLES.items():
        (seeds / name).write_text(text, encoding="utf-8")
    return seeds


@pytest.fixture
def real_seeds(tmp_path: Path) -> Path:
    seeds = tmp_path / "real-seeds"
    shutil.copytree(SEEDS, seeds)
    return seeds


@pytest.fixture
def tiny_index(tiny_seeds: Path, tmp_path: Path, fake_encoder: FakeEncoder) -> Path:
    out = tmp_path / "index"
    build_index(tiny_seeds, out, fake_encoder, BuildOptions(chunk_tokens=32, overlap_tokens=8))
    return out


@pytest.fixture
def seeds_index(real_seeds: Path, tmp_path: Path, fake_encoder: FakeEncoder) -> Path:
    """The five real articles indexed with the fake encoder."""
    out = tmp_path / "seeds-index"
    build_index(real_seeds, out, fake_encoder, BuildOptions())
    return out


@pytest.fixture
def tiny_retriever(tiny_index: Path, fake_encoder: FakeEncoder) -> Retriever:
    return Retriever.open(tiny_index, encoder=fake_encoder)
