"""The roofline bench: the work it counts, the texts it samples, the order it times, and its bound."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from eval.bench import roofline
from eval.bench.roofline import Roofline, TransformerShape, sample_texts, time_backends
from indexer.encoders.base import Encoder, resolve_model
from tests.fakes import FakeEncoder


def test_flops_count_every_matrix_product_of_each_layer() -> None:
    shape = TransformerShape(layers=2, hidden=2, intermediate=4)
    # Per layer and token: 4 projections of 2x2 and two of 2x4 (32 multiply-adds); attention
    # 2 x tokens x hidden per token; 2 FLOPs per multiply-add.
    assert shape.flops(3) == 2 * 2 * (3 * 32 + 2 * 3 * 3 * 2)
    assert shape.flops(6) > 2 * shape.flops(3)  # attention grows with the square of the length


def test_shape_of_the_packaged_model() -> None:
    assert TransformerShape.of_model(resolve_model(None)[1]) == TransformerShape(6, 384, 1536)


def test_shape_of_a_model_without_bert_keys_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(json.dumps({"hidden_size": 8}), encoding="utf-8")
    with pytest.raises(ValueError, match=r"num_hidden_layers.*not a BERT-style model"):
        TransformerShape.of_model(tmp_path)


def test_sample_is_distinct_and_spread_over_the_whole_list() -> None:
    texts = [f"passage {i}" for i in range(60)] + ["repeated"] * 30 + [f"sentence {i}" for i in range(40)]
    sample = sample_texts(texts, 10)
    assert len(sample) == 10 == len(set(sample))
    assert sample[0] == "passage 0" and any(t.startswith("sentence") for t in sample)
    assert sample_texts(["a", "a", "b"], 10) == ["a", "b"]


class Recording(FakeEncoder):
    def __init__(self, name: str, log: list[str]) -> None:
        super().__init__(name=name)
        self.log = log

    def encode(self, texts, **kwargs):  # type: ignore[no-untyped-def]
        self.log.append(self.name)
        return super().encode(texts, **kwargs)


def test_backends_alternate_round_by_round() -> None:
    log: list[str] = []
    encoders: dict[str, Encoder] = {"a": Recording("a", log), "b": Recording("b", log)}
    seconds = time_backends(encoders, ["one text", "another"], rounds=3)
    assert log == ["a", "b", "b", "a", "a", "b"]
    assert {name: len(runs) for name, runs in seconds.items()} == {"a": 3, "b": 3}


def test_bound_is_the_peak_over_the_reference_rate() -> None:
    line = Roofline(flops=100.0, peak=50.0, seconds={"torch": [4.0, 5.0, 6.0], "onnx": [2.0, 2.5, 3.0]})
    assert line.rate("torch") == 20.0 and line.rate("onnx") == 40.0
    assert line.of_peak("onnx") == 0.8
    assert line.fp32_bound("torch") == 2.5


def run_main(argv: Sequence[str]) -> int:
    return roofline.main(argv, load=lambda name: FakeEncoder(name=name))


def test_main_prints_the_table_and_the_bounds(seeds_index: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--index", str(seeds_index), "--backends", "torch,onnx", "--texts", "40", "--rounds", "2"]
    assert run_main([*argv, "--peak-rows", "32"]) == 0
    out = capsys.readouterr().out
    assert "40 distinct texts" in out and "| onnx" in out and "| torch" in out
    assert "float32 bound: at the sgemm peak a backend would encode these texts" in out
    assert "distinct" in out.split("float32 bound")[1]


def test_main_refuses_a_missing_index(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_main(["--index", str(tmp_path / "nothing")]) == 2
    assert capsys.readouterr().err.startswith("error: cannot read the index")


def test_main_refuses_an_unknown_backend(seeds_index: Path) -> None:
    def load(name: str) -> Encoder:
        raise ValueError(f"unknown encoder backend {name!r}")

    with pytest.raises(SystemExit) as exit_info:
        roofline.main(["--index", str(seeds_index), "--backends", "tpu"], load=load)
    assert exit_info.value.code == 2
