"""Archive-scale evaluation: the distractor corpus from gensim's files, cached indexes, both tables."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import indexer.encoders.torch_backend
from eval.archive.distractors import distractors, write_distractors
from eval.archive.distractors import main as distractors_main
from eval.archive.prepare import prepare
from eval.errors import EvalError
from indexer.commands.main import main
from indexer.sources.articles import read_articles
from tests.fakes import FakeEncoder

DISTRACTORS = {
    "news-1.txt": "Bushfires near Sydney\n\nStrong winds pushed a bushfire towards Hill Top on New Year's Eve.",
    "news-2.txt": "Rate cut\n\nThe Reserve Bank cut the cash rate to 4.25 per cent, its sixth cut of the year.",
}


@pytest.fixture
def distractor_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "distractors"
    folder.mkdir()
    for name, text in DISTRACTORS.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_the_corpus_is_real_installed_text_written_deterministically(tmp_path: Path) -> None:
    items = distractors()
    ids = [item.id for item in items]
    assert len(ids) == len(set(ids)) == 450  # 300 + 50 Lee news items, 100 Wikipedia pages
    assert sum(i.startswith("lee-") for i in ids) == 350 and sum(i.startswith("wiki-") for i in ids) == 100
    assert distractors(every=3) == items[::3]
    assert distractors_main([str(tmp_path / "a"), "--every", "50"]) == 0
    assert distractors_main([str(tmp_path / "b"), "--every", "50"]) == 0
    first = {p.name: p.read_bytes() for p in (tmp_path / "a").iterdir()}
    assert first == {p.name: p.read_bytes() for p in (tmp_path / "b").iterdir()} and len(first) == 9
    articles = list(read_articles(tmp_path / "a"))
    assert len(articles) == 9 and all(a.title and len(a.body) > 200 for a in articles)


def test_rewriting_the_corpus_leaves_unchanged_files_alone(tmp_path: Path) -> None:
    items = distractors(every=100)
    write_distractors(tmp_path, items)
    stamps = {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()}
    write_distractors(tmp_path, items)
    assert stamps == {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()}


def test_indexes_are_cached_and_rebuilt_incrementally(
    tiny_seeds: Path, distractor_dir: Path, tmp_path: Path, fake_encoder: FakeEncoder
) -> None:
    built = prepare(tiny_seeds, distractor_dir, tmp_path / "work", fake_encoder)
    assert (built.n_seeds, built.n_distractors) == (3, 2)
    assert built.seeds_index.is_dir() and built.archive_index.is_dir()
    before = fake_encoder.texts_encoded
    prepare(tiny_seeds, distractor_dir, tmp_path / "work", fake_encoder)
    assert fake_encoder.texts_encoded == before  # a re-run re-encodes nothing
    (distractor_dir / "news-2.txt").unlink()
    prepare(tiny_seeds, distractor_dir, tmp_path / "work", fake_encoder)
    assert not (tmp_path / "work" / "archive-articles" / "news-2.txt").exists()


def test_bad_distractor_folders_are_clear_errors(tiny_seeds: Path, tmp_path: Path, fake_encoder: FakeEncoder) -> None:
    with pytest.raises(EvalError, match="does not exist"):
        prepare(tiny_seeds, tmp_path / "missing", tmp_path / "work", fake_encoder)
    clash = tmp_path / "clash"
    clash.mkdir()
    (clash / "a_shanghai.txt").write_text("Title\n\nBody text.", encoding="utf-8")
    with pytest.raises(EvalError, match="clash"):
        prepare(tiny_seeds, clash, tmp_path / "work", fake_encoder)


def test_compare_with_distractors_prints_both_tables(
    real_seeds: Path,
    distractor_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(indexer.encoders.torch_backend, "SentenceTransformerEncoder", lambda name=None: FakeEncoder())
    out = tmp_path / "eval.json"
    argv = ["eval", "--compare", "--distractors", str(distractor_dir), "--seeds", str(real_seeds),
            "--work", str(tmp_path / "work"), "--json", str(out)]  # fmt: skip
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "## seeds only" in printed and "## archive scale (seeds + distractors)" in printed
    assert "5 seed articles + 2 distractors" in printed
    document = json.loads(out.read_text())
    assert set(document) == {"seeds", "archive"}
    assert document["seeds"]["metrics"]["n_questions"] == document["archive"]["metrics"]["n_questions"]


def test_index_backend_builds_the_indexes_and_torch_encodes_the_questions(
    real_seeds: Path, distractor_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import indexer.encoders.bf16_backend
    from indexer.store.reader import load_index

    class Fake(FakeEncoder):
        def __init__(self, backend: str) -> None:
            super().__init__()
            self.backend = backend

    questions: list[str] = []
    torch = Fake("torch")
    monkeypatch.setattr(indexer.encoders.torch_backend, "SentenceTransformerEncoder", lambda name=None: torch)
    monkeypatch.setattr(indexer.encoders.bf16_backend, "Bf16Encoder", lambda name=None, **options: Fake("torch-bf16"))
    encode = torch.encode
    monkeypatch.setattr(torch, "encode", lambda texts, **kw: (questions.extend(texts), encode(texts, **kw))[1])
    work = tmp_path / "work"
    argv = ["eval", "--distractors", str(distractor_dir), "--seeds", str(real_seeds), "--work", str(work),
            "--index-backend", "torch-bf16"]  # fmt: skip
    assert main(argv) == 0
    assert load_index(work / "archive-index").manifest.model.backend == "torch-bf16"
    # torch encoded the questions, and of the index only the load's one-passage probe (title + newline).
    assert len(questions) > 100 and sum("\n" in text for text in questions) == 1


def test_distractors_with_a_url_is_a_one_line_error(distractor_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "--url", "http://127.0.0.1:9", "--distractors", str(distractor_dir)]) == 2
    assert "--distractors builds its own indexes" in capsys.readouterr().err
