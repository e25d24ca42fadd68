"""``polysearch ask``: the answer with its citation, the abstention with its reason, and the JSON record."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from msgspec.structs import replace

from indexer.answer.answerer import Answerer
from indexer.commands.ask import answer_lines, answer_url
from indexer.commands.main import main
from indexer.search.retriever import Retriever
from tests.fake_cli import use_fake_model


@pytest.fixture(autouse=True)
def fake_model(monkeypatch: pytest.MonkeyPatch) -> None:
    use_fake_model(monkeypatch.setattr)


def ask(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(["ask", *argv]) == 0
    return capsys.readouterr().out


def test_answer_with_its_citation_and_confidence(tiny_index: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = ask(capsys, "Who led the delegation from Jiangsu?", "--index", str(tiny_index))
    lines = out.splitlines()
    assert lines[0] == "A delegation led by Gao Jun visited St. Petersburg."
    assert lines[1] == "  from: Delegation from Jiangsu (undated)  [c_weatherless#0]"
    assert lines[2].startswith("  confidence 0.")


def test_abstention_says_why(tiny_index: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = ask(capsys, "What is the Wi-Fi password?", "--index", str(tiny_index))
    assert out.startswith("No answer: no passage mentions ")
    assert "Closest passages:" in out and "[b_summit#0]" in out


def test_json_record(tiny_index: Path, tiny_seeds: Path, capsys: pytest.CaptureFixture[str]) -> None:
    record = json.loads(ask(capsys, "Who led the delegation from Jiangsu?", "--index", str(tiny_index), "--json"))
    assert set(record) == {
        "question", "answer", "abstained", "citations", "index_version", "took_ms", "query_lang", "dense_used",
        "reason", "interpreted",
    }  # fmt: skip
    answer = record["answer"]
    assert record["abstained"] is False and record["reason"] is None
    assert (answer["passage_id"], answer["url"]) == ("c_weatherless#0", None)
    body = (tiny_seeds / "c_weatherless.md").read_text(encoding="utf-8")
    assert body.endswith(answer["text"] + " The parties discussed internships and joint labs.")
    assert record["citations"][0]["passage_id"] == "c_weatherless#0"
    assert (record["query_lang"], record["dense_used"]) == ("en", True)


def test_date_filters_narrow_the_passages(tiny_index: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["Where was the summit?", "--index", str(tiny_index), "--json"]
    everything = json.loads(ask(capsys, *argv))
    assert "b_summit#0" in [c["passage_id"] for c in everything["citations"]]
    after = json.loads(ask(capsys, *argv, "--date-from", "1 June 2023"))
    assert [c["passage_id"] for c in after["citations"]] == ["a_shanghai#0"]
    before = json.loads(ask(capsys, *argv, "--date-to", "2022-06-10"))
    assert [c["passage_id"] for c in before["citations"]] == ["b_summit#0"]


def test_mode_decides_how_passages_are_found(tiny_index: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["Who led the delegation from Jiangsu?", "--index", str(tiny_index), "--json"]
    keyword = json.loads(ask(capsys, *argv, "--mode", "keyword"))
    assert all(c["scores"]["dense"] is None for c in keyword["citations"])
    dense = json.loads(ask(capsys, *argv, "--mode", "dense"))
    assert all(c["scores"]["keyword"] is None for c in dense["citations"])


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["x", "--date-from", "someday"], "argument --date-from: expected a date"),
        (["x", "-k", "0"], "argument -k: must be at least 1"),
        (["x", "--mode", "fuzzy"], "argument --mode: invalid choice"),
    ],
)
def test_bad_options_are_one_usage_error(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["ask", *argv])
    err = capsys.readouterr().err
    assert info.value.code == 2 and message in err and "Traceback" not in err


def test_empty_question_and_missing_index_are_one_line(
    tiny_index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ask", "   ", "--index", str(tiny_index)]) == 2
    assert capsys.readouterr().err == "polysearch ask: error: query: must not be empty\n"
    assert main(["ask", "who?", "--index", str(tmp_path / "none")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no index at" in err


def test_an_answer_from_the_web_shows_its_page(tiny_retriever: Retriever) -> None:
    result = Answerer(tiny_retriever).ask("Who led the delegation from Jiangsu?")
    page = "https://news.example.edu/jiangsu"
    cited = [replace(hit, passage=replace(hit.passage, url=page)) for hit in result.citations]
    assert answer_lines(replace(result, citations=cited))[2] == f"  {page}"
    assert answer_url(result) is None and len(answer_lines(result)) == 3


def test_a_question_the_model_does_not_cover(tiny_index: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = ask(capsys, "Когда открылся офис в Шанхае?", "--index", str(tiny_index))
    assert out.startswith("question read as ru; passages found by keywords alone (the model covers en)\n\n")
