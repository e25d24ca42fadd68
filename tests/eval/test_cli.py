"""``polysearch eval`` end to end with the fake encoder: table, JSON, TREC files, plot, floors, errors."""

from __future__ import annotations

import json
import re
from collections import Counter
from functools import partial
from pathlib import Path

import httpx
import pytest

import indexer.encoders.torch_backend
from eval.scoring import METRIC_KEYS
from indexer.build.builder import BuildOptions, build_index
from indexer.commands.main import main
from tests.conftest import REPO
from tests.eval.conftest import Handler
from tests.fakes import FakeEncoder


@pytest.fixture(autouse=True)
def fake_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI loads the model the manifest names; here that is the fake encoder."""
    monkeypatch.setattr(indexer.encoders.torch_backend, "SentenceTransformerEncoder", lambda name=None: FakeEncoder())


def _floors(path: Path, mrr_floor: float) -> Path:
    path.write_text(json.dumps({"floors": {"hybrid": {"mrr@10": mrr_floor}}, "ceilings": {}}))
    return path


TIME_WORDS = re.compile(r"\b(?:1[89]|20)\d\d\b|\btoday\b|\bthis (?:year|week)\b")


def test_compare_writes_every_output(seeds_index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    argv = [
        "eval", "--index", str(seeds_index), "--compare",
        "--json", str(out / "eval.json"), "--trec-run", str(out / "run.trec"), "--qrels", str(out / "qrels.trec"),
        "--plot", str(out / "hit.png"), "--floors", str(_floors(tmp_path / "floors.json", 0.0)),
    ]  # fmt: skip
    assert main(argv) == 0
    printed = capsys.readouterr().out
    for row in ("dense", "keyword", "hybrid"):
        assert any(line.startswith(row) for line in printed.splitlines()), row
    assert "hybrid vs dense on mrr@10" in printed and "hybrid vs keyword on mrr@10" in printed
    assert "paired randomization test" in printed and "all floors" in printed

    document = json.loads((out / "eval.json").read_text())
    assert tuple(document["metrics"]) == METRIC_KEYS
    assert document["metrics"]["n_questions"] == len(document["per_question"]) == 153
    assert document["metrics"]["n_unanswerable"] == 70
    assert document["mode"] == "hybrid" and document["compare"]["modes"]["dense"]["n_questions"] == 153
    assert [s["baseline"] for s in document["compare"]["significance"]] == ["dense", "keyword"]
    first = document["per_question"][0]
    assert first["id"] == "q001" and len(first["retrieved"]) == 10 and "answer" in first

    # Ten lines a question (dense, hybrid), fewer where a publication time the question states
    # leaves fewer passages.
    retrieved = {r["id"]: len(r["retrieved"]) for r in document["per_question"] if r["retrieved"]}
    for mode in ("dense", "keyword", "hybrid"):
        lines = (out / f"run.{mode}.trec").read_text().splitlines()
        counts = Counter(line.split()[0] for line in lines)
        assert lines[0].split()[:2] == ["q001", "Q0"] and all(1 <= n <= 10 for n in counts.values())
        if mode == "keyword":
            # Keyword ranking lists only passages sharing a word with the question: often fewer than k.
            assert len(lines) < 153 * 10 and max(counts.values()) == 10
            continue
        untimed = [r["id"] for r in document["per_question"] if not TIME_WORDS.search(r["question"])]
        assert len(untimed) > 120 and all(counts[qid] == 10 for qid in untimed)
        if mode == "hybrid":
            assert counts == retrieved
    qrels = (out / "qrels.trec").read_text().splitlines()
    assert {line.split()[0] for line in qrels} == {f"q{i:03d}" for i in range(1, 84)}
    assert (out / "hit.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_single_mode_and_failing_floor(seeds_index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = tmp_path / "run.trec"
    floors = _floors(tmp_path / "floors.json", 1.01)
    argv = ["eval", "--index", str(seeds_index), "--mode", "keyword", "-k", "3", "--trec-run", str(run)]
    assert main(argv) == 0
    assert {line.split()[3] for line in run.read_text().splitlines()} == {"1", "2", "3"}
    printed = capsys.readouterr().out
    assert "keyword" in printed and "hybrid vs" not in printed
    # Floors only judge evaluated modes; hybrid's floor applies once hybrid runs.
    assert main(["eval", "--index", str(seeds_index), "--floors", str(floors)]) == 1
    assert "FLOOR: hybrid mrr@10" in capsys.readouterr().out


def test_written_floors_pass_on_the_same_figures(seeds_index: Path, tmp_path: Path) -> None:
    floors = tmp_path / "floors.json"
    assert main(["eval", "--index", str(seeds_index), "--compare", "--write-floors", str(floors)]) == 0
    written = json.loads(floors.read_text())
    assert set(written["floors"]) == {"dense", "keyword", "hybrid"} and "--compare" in written["measured_with"]
    assert main(["eval", "--index", str(seeds_index), "--compare", "--floors", str(floors)]) == 0


def test_url_mode_uses_http_and_says_judgements_are_pooled(
    seeds_service: Handler, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(httpx, "Client", partial(httpx.Client, transport=httpx.MockTransport(seeds_service)))
    qrels = tmp_path / "qrels.trec"
    argv = ["eval", "--url", "http://polysearch.test/", "--json", str(tmp_path / "e.json"), "--qrels", str(qrels)]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "service at http://polysearch.test" in printed and "passages the modes retrieved" in printed
    assert "retrieved hits only" in printed and qrels.read_text()
    assert json.loads((tmp_path / "e.json").read_text())["qrels"] == "pooled from retrieved hits"


def test_errors_are_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "--index", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no index at" in err
    bad = tmp_path / "q.jsonl"
    bad.write_text('{"id": "q1", "question": "x", "doc_ids": ["a"], "answers": []}\n')
    assert main(["eval", "--questions", str(bad), "--index", str(tmp_path)]) == 2
    assert "q.jsonl:1: doc_ids and answers" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["eval", "--index", "x", "--url", "http://y"])
    assert exit_info.value.code == 2


def test_the_answerer_option_picks_the_ranker(
    seeds_index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outputs = {}
    for ranker in ("rules", "learned"):
        out = tmp_path / f"{ranker}.json"
        assert main(["eval", "--index", str(seeds_index), "--answerer", ranker, "--json", str(out)]) == 0
        outputs[ranker] = json.loads(out.read_text())
    default = tmp_path / "default.json"
    assert main(["eval", "--index", str(seeds_index), "--json", str(default)]) == 0
    # Retrieval does not depend on the answerer; the default answerer is the rules one.
    rank_keys = ("hit@1", "mrr@10", "ndcg@10")
    assert all(outputs["rules"]["metrics"][k] == outputs["learned"]["metrics"][k] for k in rank_keys)
    assert json.loads(default.read_text())["per_question"] == outputs["rules"]["per_question"]
    assert outputs["learned"]["per_question"] != outputs["rules"]["per_question"]
    capsys.readouterr()
    assert main(["eval", "--url", "http://127.0.0.1:9", "--answerer", "learned"]) == 2
    assert "in-process only" in capsys.readouterr().err


def test_stories_from_a_file_count_a_story_once_and_report_lang_first(
    real_seeds: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    crosslang = REPO / "eval" / "crosslang"
    for folder in (REPO / "eval" / "ru" / "articles", crosslang / "articles"):
        for article in sorted(folder.glob("*.txt")):
            (real_seeds / article.name).write_bytes(article.read_bytes())
    index = tmp_path / "index"
    build_index(real_seeds, index, FakeEncoder(), BuildOptions())
    questions = str(REPO / "eval" / "ru" / "questions.jsonl")
    plain = ["eval", "--index", str(index), "--questions", questions, "--json", str(tmp_path / "plain.json")]
    assert main(plain) == 0
    without = capsys.readouterr().out
    stories = ["--stories", str(crosslang / "stories.json")]
    assert main([*plain[:-1], str(tmp_path / "told.json"), *stories, "--write-floors", str(tmp_path / "f.json")]) == 0
    told = capsys.readouterr().out
    assert "stories told in several languages" in without and "stories told in several languages" in told
    # The rank figures' lines are the same; the story block comes on top.
    assert [line for line in without.splitlines() if line.startswith("hybrid ")][:1] == [
        line for line in told.splitlines() if line.startswith("hybrid ")
    ][:1]
    # Given groups: all five stories; without, the four translations the build found itself.
    metrics = json.loads((tmp_path / "told.json").read_text())["metrics"]
    assert metrics["n_lang_first"] == 27 and metrics["lang_first"] is not None
    assert json.loads((tmp_path / "plain.json").read_text())["metrics"]["n_lang_first"] == 21
    floors = json.loads((tmp_path / "f.json").read_text())
    assert "lang_first" in floors["floors"]["hybrid"] and "--stories" in floors["measured_with"]
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    assert main([*plain, "--stories", str(bad)]) == 2
    assert "not a stories file" in capsys.readouterr().err
