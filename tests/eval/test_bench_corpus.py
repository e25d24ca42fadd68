"""The synthetic corpus: deterministic, made of real sentences, readable as articles, sized by passages."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.bench.corpus import SentencePool, synthetic_articles, write_corpus
from indexer.build.builder import BuildOptions, build_index
from indexer.sources.articles import read_articles
from tests.fakes import FakeEncoder


def _files(directory: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(directory.iterdir())}


def _is_real_sentences(paragraph: str, real: set[str]) -> bool:
    """Can ``paragraph`` be cut into real sentences joined by single spaces?"""
    reachable = {0}
    for position in range(len(paragraph) + 1):
        if position not in reachable:
            continue
        if position == len(paragraph):
            return True
        for sentence in real:
            if paragraph.startswith(sentence, position):
                reachable.add(
                    position + len(sentence) + 1 if position + len(sentence) < len(paragraph) else len(paragraph)
                )
    return False


def test_same_seed_gives_the_same_files_byte_for_byte(real_seeds: Path, tmp_path: Path) -> None:
    write_corpus(real_seeds, tmp_path / "a", n_passages=60, seed=7)
    write_corpus(real_seeds, tmp_path / "b", n_passages=60, seed=7)
    write_corpus(real_seeds, tmp_path / "c", n_passages=60, seed=8)
    assert _files(tmp_path / "a") == _files(tmp_path / "b")
    assert _files(tmp_path / "a") != _files(tmp_path / "c")


def test_bodies_are_recombined_real_sentences(real_seeds: Path, tmp_path: Path) -> None:
    pool = SentencePool.from_seeds(real_seeds)
    real = set(pool.sentences)
    write_corpus(real_seeds, tmp_path / "syn", n_passages=40, seed=1)
    articles = list(read_articles(tmp_path / "syn"))
    assert articles
    for article in articles:
        assert article.date is not None, article.id  # the header line parses as a date
        assert article.title in pool.headlines
        for paragraph in article.body.split("\n\n"):
            assert _is_real_sentences(paragraph, real), paragraph


def test_the_index_holds_about_the_requested_number_of_passages(real_seeds: Path, tmp_path: Path) -> None:
    info = write_corpus(real_seeds, tmp_path / "syn", n_passages=50, seed=3)
    report = build_index(tmp_path / "syn", tmp_path / "index", FakeEncoder(), BuildOptions())
    assert info.passages >= 50
    assert report.passages == info.passages


def test_generation_stops_once_the_target_is_reached(real_seeds: Path) -> None:
    pool = SentencePool.from_seeds(real_seeds)
    articles = list(synthetic_articles(pool, n_passages=30, seed=0))
    counts = [a.passages for a in articles]
    assert sum(counts) >= 30
    assert sum(counts[:-1]) < 30
    assert len({a.name for a in articles}) == len(articles)


def test_a_target_below_one_passage_is_refused(real_seeds: Path) -> None:
    with pytest.raises(ValueError, match="n_passages"):
        next(synthetic_articles(SentencePool.from_seeds(real_seeds), n_passages=0))
