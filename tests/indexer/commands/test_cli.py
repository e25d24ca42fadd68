from __future__ import annotations

import json
from pathlib import Path

import pytest

import indexer.encoders.bf16_backend
import indexer.encoders.onnx_backend
import indexer.encoders.torch_backend
from indexer.commands.main import main
from tests.fakes import FakeEncoder


@pytest.fixture(autouse=True)
def fake_model(monkeypatch: pytest.MonkeyPatch) -> None:
    def factory(name: str | None = None, **options: object) -> FakeEncoder:
        return FakeEncoder()

    # Every backend the CLI may pick (torch, or the ONNX and bfloat16 ones of --backend auto) becomes the fake.
    monkeypatch.setattr(indexer.encoders.torch_backend, "SentenceTransformerEncoder", factory)
    monkeypatch.setattr(indexer.encoders.onnx_backend, "OnnxEncoder", factory)
    monkeypatch.setattr(indexer.encoders.bf16_backend, "Bf16Encoder", factory)


def test_index_then_search_json(tiny_seeds: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "index"
    argv = ["index", "--seeds", str(tiny_seeds), "--out", str(out), "--chunk-tokens", "32", "--overlap-tokens", "8"]
    assert main([*argv, "--quiet"]) == 0
    report = capsys.readouterr().out
    assert "added 3, updated 0, removed 0, unchanged 0" in report and "(written)" in report
    assert main([*argv, "--quiet"]) == 0
    assert "unchanged 3" in capsys.readouterr().out
    assert main(["search", "Gao Jun", "--index", str(out), "-k", "2", "--json"]) == 0
    hits = json.loads(capsys.readouterr().out)
    assert len(hits) == 2 and hits[0]["article_id"] == "c_weatherless"
    required = {"rank", "score", "passage_id", "article_id", "title", "date", "start", "end", "text"}
    assert all(required <= hit.keys() for hit in hits)


def test_search_text_output(tiny_index: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["search", "ATURC summit", "--index", str(tiny_index), "-k", "1", "--mode", "keyword"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("1. Summit of technical universities (2022-06-10)  [b_summit#0]")


def test_missing_index_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["search", "x", "--index", str(tmp_path / "none")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no index at" in err and "Traceback" not in err


def test_missing_seeds_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["index", "--seeds", str(tmp_path / "none"), "--out", str(tmp_path / "i")]) == 2
    assert "does not exist" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [["search", "x", "-k", "0"], ["search", "x", "--mode", "fuzzy"], ["index", "--chunk-tokens", "abc"], ["bogus"]],
)
def test_bad_options_exit_non_zero_without_traceback(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert "Traceback" not in capsys.readouterr().err


def test_overlap_not_below_chunk_is_a_clear_error(
    tiny_seeds: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [
        "index",
        "--seeds",
        str(tiny_seeds),
        "--out",
        str(tmp_path / "i"),
        "--chunk-tokens",
        "16",
        "--overlap-tokens",
        "16",
    ]
    assert main(argv) == 2
    assert "overlap_tokens" in capsys.readouterr().err


def test_out_path_that_is_a_file_is_refused_before_encoding(
    tiny_seeds: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "a-file"
    target.write_text("x")
    assert main(["index", "--seeds", str(tiny_seeds), "--out", str(target), "--quiet"]) == 2
    assert "is not a directory" in capsys.readouterr().err


def test_os_errors_are_one_line(
    tiny_seeds: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import errno

    import indexer.store.writer

    def disk_full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "index"))

    monkeypatch.setattr(indexer.store.writer, "_write_version", disk_full)
    assert main(["index", "--seeds", str(tiny_seeds), "--out", str(tmp_path / "index"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "No space left on device" in err and "Traceback" not in err


def test_search_json_says_how_the_query_was_read(tiny_index: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Read as Russian, so ranked by keywords alone; "Shanghai" is the word an English passage shares
    # (keyword ranking lists only passages sharing a word with the query).
    query = "Шанхай Shanghai"
    assert main(["search", query, "--index", str(tiny_index), "-k", "1", "--json"]) == 0
    hits = json.loads(capsys.readouterr().out)
    assert (hits[0]["query_lang"], hits[0]["dense_used"]) == ("ru", False)
    assert main(["search", query, "--index", str(tiny_index), "-k", "1"]) == 0
    assert "query read as ru; ranked by keywords alone (the model covers en)" in capsys.readouterr().out


def test_unknown_model_language_is_one_line(
    tiny_seeds: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["index", "--seeds", str(tiny_seeds), "--out", str(tmp_path / "i"), "--model-languages", "en,fr", "--quiet"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown model language(s) fr" in err
    assert not (tmp_path / "i").exists()
