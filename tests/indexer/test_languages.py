"""Languages through the index: detected and recorded, and dense ranking only where the model covers them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from indexer.build.builder import BuildOptions, build_index
from indexer.errors import IndexMismatchError
from indexer.models import QueryReading
from indexer.search.retriever import Retriever
from indexer.store.layout import live_version_dir
from indexer.store.reader import load_index
from tests.fakes import FakeEncoder, use_analyser

ARTICLES = {
    "en_office.txt": (
        "Office opens in Shanghai\n\n1 June 2023 International activities 12\n\n"
        "The university opened a representative office in Shanghai in April 2016. "
        "The office helps students from China apply."
    ),
    "en_summit.txt": "Summit in Xi'an\n\nThe ATURC summit took place in Xi'an. Sixty universities took part.",
    "ru_office.txt": (
        "Представительству в Шанхае десять лет\n\n12 апреля 2026 Международная деятельность 935\n\n"
        "Представительство университета в Шанхае открылось в апреле 2016 года. "
        "Его возглавляет Елена Ковалёва."
    ),
    "zh_office.txt": "上海代表处成立十周年\n\n上海代表处于2016年4月成立。它帮助中国学生申请。",
}


@pytest.fixture
def mixed_seeds(tmp_path: Path) -> Path:
    seeds = tmp_path / "mixed"
    seeds.mkdir()
    for name, text in ARTICLES.items():
        (seeds / name).write_text(text, encoding="utf-8")
    return seeds


def build(seeds: Path, out: Path, encoder: FakeEncoder, languages: tuple[str, ...] | None = None) -> Retriever:
    build_index(seeds, out, encoder, BuildOptions(model_languages=languages))
    return Retriever.open(out, encoder=encoder)


def test_articles_and_passages_carry_their_language_and_the_manifest_the_model_languages(
    mixed_seeds: Path, tmp_path: Path, fake_encoder: FakeEncoder
) -> None:
    retriever = build(mixed_seeds, tmp_path / "index", fake_encoder)
    langs = {a.id: a.lang for a in retriever.index.articles.values()}
    assert langs == {"en_office": "en", "en_summit": "en", "ru_office": "ru", "zh_office": "zh"}
    assert {p.article_id: p.lang for p in retriever.index.passages} == langs
    # A Russian header date is read.
    assert retriever.article("ru_office").date == "2026-04-12"
    manifest = json.loads((live_version_dir(tmp_path / "index") / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["model"]["languages"] == ["en"]


def test_uncovered_passages_never_enter_dense_results_and_get_no_dense_score(
    mixed_seeds: Path, tmp_path: Path, fake_encoder: FakeEncoder
) -> None:
    retriever = build(mixed_seeds, tmp_path / "index", fake_encoder)
    dense = retriever.search("office in Shanghai 2016", k=50, mode="dense")
    assert {h.passage.lang for h in dense} == {"en"}
    hybrid = retriever.search("office in Shanghai 2016", k=50, mode="hybrid")
    for hit in hybrid:
        if hit.passage.lang != "en":
            assert hit.scores.dense is None  # ranked by its keyword evidence alone
    assert hybrid[0].passage.article_id == "en_office"
    query = retriever.read("When was the office in Shanghai opened?")
    assert query.lang == "en" and query.covered


def test_an_uncovered_query_is_ranked_by_keywords_alone(
    mixed_seeds: Path, tmp_path: Path, fake_encoder: FakeEncoder
) -> None:
    retriever = build(mixed_seeds, tmp_path / "index", fake_encoder)
    question = "Когда открылось представительство в Шанхае?"
    query = retriever.read(question)
    assert query.lang == "ru" and not query.covered
    assert query.reading() == QueryReading(lang="ru", dense=False)
    for mode in ("dense", "hybrid", "keyword"):
        hits = retriever.search(question, k=3, mode=mode)  # type: ignore[arg-type]
        assert hits[0].passage.article_id == "ru_office"
        assert all(h.scores.dense is None for h in hits)
    chinese = retriever.search("上海代表处", k=1)
    assert chinese[0].passage.article_id == "zh_office" and retriever.read("上海代表处").lang == "zh"
    # A number means the same in every language: the model may rank it.
    assert retriever.read("2016").covered


def test_a_model_declared_multilingual_ranks_every_language_densely(
    mixed_seeds: Path, tmp_path: Path, fake_encoder: FakeEncoder
) -> None:
    retriever = build(mixed_seeds, tmp_path / "index", fake_encoder, ("en", "ru", "zh"))
    assert retriever.index.manifest.model.languages == ("en", "ru", "zh")
    question = "Когда открылось представительство в Шанхае?"
    assert retriever.read(question).covered
    hits = retriever.search(question, k=10, mode="dense")
    assert {h.passage.lang for h in hits} == {"en", "ru", "zh"}
    assert all(h.scores.dense is not None for h in retriever.search(question, k=10, mode="hybrid"))


def test_a_changed_analyser_rebuilds_the_keyword_index(
    mixed_seeds: Path, tmp_path: Path, fake_encoder: FakeEncoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "index"
    first = build_index(mixed_seeds, out, fake_encoder, BuildOptions())
    use_analyser(monkeypatch, "another-analyser/9")
    with pytest.raises(IndexMismatchError, match="analyser"):
        load_index(out)
    encoded = fake_encoder.texts_encoded
    second = build_index(mixed_seeds, out, fake_encoder, BuildOptions())
    assert second.written and second.version != first.version
    assert load_index(out).manifest.analyzer == "another-analyser/9"
    # Only the term counts depend on the analyser: no text is encoded again.
    assert fake_encoder.texts_encoded == encoded
