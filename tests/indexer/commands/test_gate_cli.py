"""The quality gate of ``polysearch index`` and ``polysearch sync``: a worse version is written but not made live."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import indexer.encoders.bf16_backend
import indexer.encoders.onnx_backend
import indexer.encoders.torch_backend
from indexer.commands.gate import HELD_EXIT, read_gate, score
from indexer.commands.main import main
from indexer.errors import BuildError
from indexer.search.retriever import Retriever
from indexer.store.held import GATE_COUNTS, gate_rejections
from indexer.store.layout import CURRENT, HELD, read_held, remove_leftovers
from tests.conftest import TINY_ARTICLES
from tests.fakes import FakeEncoder

# Written from the tiny articles' text, one question per article, and one the corpus cannot answer.
QUESTIONS = [
    {"id": "g1", "question": "When did the university open its office in Shanghai?", "doc_ids": ["a_shanghai"],
     "answers": ["April 2016"]},
    {"id": "g2", "question": "How many universities belong to the ATURC association?", "doc_ids": ["b_summit"],
     "answers": ["Sixty-eight"]},
    {"id": "g3", "question": "Who led the delegation from Jiangsu?", "doc_ids": ["c_weatherless"],
     "answers": ["Gao Jun"]},
    {"id": "g4", "question": "What is the weather tomorrow?", "doc_ids": [], "answers": []},
]  # fmt: skip
LOREM = "Lorem ipsum\n\nLorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt."


@pytest.fixture(autouse=True)
def fake_model(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(indexer.encoders.torch_backend, "SentenceTransformerEncoder", lambda n=None: FakeEncoder())
    monkeypatch.setattr(indexer.encoders.onnx_backend, "OnnxEncoder", lambda n=None, **o: FakeEncoder())
    monkeypatch.setattr(indexer.encoders.bf16_backend, "Bf16Encoder", lambda n=None, **o: FakeEncoder())
    monkeypatch.delenv("POLYSEARCH_GATE", raising=False)
    monkeypatch.delenv("POLYSEARCH_GATE_MARGIN", raising=False)


@pytest.fixture
def questions(tmp_path: Path) -> Path:
    path = tmp_path / "gate.jsonl"
    path.write_text("".join(json.dumps(q) + "\n" for q in QUESTIONS), encoding="utf-8")
    return path


@pytest.fixture
def news(tmp_path: Path) -> Path:
    folder = tmp_path / "news"
    folder.mkdir()
    for name, text in TINY_ARTICLES.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def _live(index: Path) -> str:
    return (index / CURRENT).read_text(encoding="utf-8").strip()


def _sync(folder: Path, index: Path, *extra: str) -> int:
    return main(["sync", "--source", str(folder), "--out", str(index), "--quiet", *extra])


def _break_extraction(folder: Path) -> None:
    """What a broken extractor leaves: every article's text replaced by boilerplate."""
    for path in folder.iterdir():
        path.write_text(LOREM, encoding="utf-8")


def test_a_gated_sync_with_broken_text_leaves_the_live_version_serving(
    news: Path, questions: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index = tmp_path / "index"
    # A first sync has nothing to compare with: it goes live, ungated.
    assert _sync(news, index, "--gate", str(questions)) == 0
    first = capsys.readouterr()
    assert "gate:" not in first.out + first.err and not (index / HELD).exists()
    live = _live(index)

    _break_extraction(news)
    assert _sync(news, index, "--gate", str(questions)) == HELD_EXIT
    err = capsys.readouterr().err
    held = read_held(index)
    assert held is not None and held.name != live and (index / held.name).is_dir()
    (line,) = [line for line in err.splitlines() if line.startswith("gate:")]
    assert line.startswith(f"gate: {held.name} held, hit@5 fell 1.000 -> 0.000; mrr@10 fell 1.000 -> 0.000;")
    assert f"{live} stays live" in line and f"--promote {held.name}" in line
    # Not live: CURRENT still names the old version, which still answers the questions.
    assert _live(index) == live
    assert score(Retriever.open(index, encoder=FakeEncoder()), read_gate(questions, 0.02).questions).mrr10 == 1.0
    assert gate_rejections(index) == 1 and json.loads((index / GATE_COUNTS).read_text()) == {"rejections": 1}

    assert main(["index", "--verify", "--out", str(index)]) == 0
    report = capsys.readouterr().out
    assert f"held: {held.name} (hit@5 fell 1.000 -> 0.000; mrr@10 fell 1.000 -> 0.000 on gate.jsonl)" in report
    assert "leftovers" not in report

    # The next pass sees the same broken text, holds it again and counts it again; still not live.
    assert _sync(news, index, "--gate", str(questions), "--json") == HELD_EXIT
    record = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert record["gate"]["live"] is False and record["gate"]["figures"] == {"hit@5": 0.0, "mrr@10": 0.0}
    assert _live(index) == live and gate_rejections(index) == 2


def test_without_the_gate_the_same_sync_puts_the_broken_version_live(news: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    assert _sync(news, index) == 0
    live = _live(index)
    _break_extraction(news)
    assert _sync(news, index) == 0
    assert _live(index) != live and read_held(index) is None


def test_the_gate_can_be_configured_by_environment(
    news: Path, questions: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = tmp_path / "index"
    assert _sync(news, index) == 0
    live = _live(index)
    monkeypatch.setenv("POLYSEARCH_GATE", str(questions))
    _break_extraction(news)
    assert _sync(news, index) == HELD_EXIT and _live(index) == live
    # A margin that allows the whole fall lets it through.
    monkeypatch.setenv("POLYSEARCH_GATE_MARGIN", "1")
    assert _sync(news, index) == 0 and _live(index) != live


def test_a_gated_build_as_good_goes_live_and_a_held_one_is_promoted(
    news: Path, questions: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index = tmp_path / "index"
    build = ["index", "--seeds", str(news), "--out", str(index), "--quiet", "--gate", str(questions)]
    assert main(build) == 0
    first = _live(index)
    # One more article: the questions are answered as well as before, so it goes live.
    (news / "d_more.txt").write_text("Campus news\n\nThe library opened a new reading room.", encoding="utf-8")
    assert main(build) == 0
    out = capsys.readouterr().out
    second = _live(index)
    assert second != first and f"gate: {second} went live (hit@5 1.000, mrr@10 1.000)" in out
    assert not (index / first).exists() and read_held(index) is None

    _break_extraction(news)
    assert main(build) == HELD_EXIT
    held = read_held(index)
    assert held is not None and _live(index) == second
    assert "(held by the quality gate)" in capsys.readouterr().out
    # A build that finds nothing changed, and a merge, leave the held version where it is.
    assert main(build) == HELD_EXIT
    assert main(["merge", "--index", str(index), "--all"]) == 0 and _live(index) != second
    second = _live(index)
    remove_leftovers(index)  # what a build that finds the index up to date runs
    assert (index / held.name).is_dir() and read_held(index) == held

    assert main(["index", "--promote", held.name, "--out", str(index)]) == 0
    assert f"{held.name} is live" in capsys.readouterr().out
    assert _live(index) == held.name and read_held(index) is None and not (index / second).exists()
    # Only the held version may be promoted.
    assert main(["index", "--promote", second, "--out", str(index)]) == 2
    assert f"{second} is not held by the quality gate" in capsys.readouterr().err


def test_a_version_that_goes_live_supersedes_a_held_one(news: Path, questions: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    build = ["index", "--seeds", str(news), "--out", str(index), "--quiet"]
    assert main(build) == 0
    originals = {p.name: p.read_text(encoding="utf-8") for p in news.iterdir()}
    _break_extraction(news)
    assert main([*build, "--gate", str(questions)]) == HELD_EXIT
    held = read_held(index)
    assert held is not None
    for name, text in originals.items():
        (news / name).write_text(text + "\n\nUpdated.", encoding="utf-8")
    assert main([*build, "--gate", str(questions)]) == 0
    assert read_held(index) is None and not (index / held.name).exists()


def test_a_bad_question_file_stops_before_any_build(
    news: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index = tmp_path / "index"
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x", "question": "Why?", "doc_ids": [], "answers": []}\n', encoding="utf-8")
    assert main(["index", "--seeds", str(news), "--out", str(index), "--gate", str(bad)]) == 2
    assert "no answerable questions" in capsys.readouterr().err and not index.exists()
    bad.write_text("not json\n", encoding="utf-8")
    with pytest.raises(BuildError, match=r"bad.jsonl:1: not a question record"):
        read_gate(bad, 0.02)
    assert main(["index", "--seeds", str(news), "--out", str(index), "--gate", str(tmp_path / "absent")]) == 2
    assert main(["index", "--promote", "v-0", "--out", str(tmp_path / "nowhere")]) == 2
