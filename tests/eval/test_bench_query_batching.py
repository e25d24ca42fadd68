"""The query-batching bench times every (threads, batch) variant in every round, in alternating order."""

from __future__ import annotations

from eval.bench import query_batching
from eval.bench.query_batching import BATCHES, measure
from tests.fakes import FakeEncoder


class CountingEncoder(FakeEncoder):
    def __init__(self) -> None:
        super().__init__()
        self.batch_sizes: list[int] = []

    def encode(self, texts, **kwargs):  # type: ignore[no-untyped-def]
        self.batch_sizes.append(len(texts))
        return super().encode(texts, **kwargs)


def test_each_variant_encodes_every_question_once_per_round() -> None:
    questions = [f"question {i}" for i in range(20)]
    encoders = {1: CountingEncoder(), 2: CountingEncoder()}
    result = measure(encoders, questions, rounds=2)  # type: ignore[arg-type]
    assert set(result) == {(t, b) for t in (1, 2) for b in BATCHES} and all(v > 0 for v in result.values())
    for encoder in encoders.values():
        assert sum(encoder.batch_sizes) == 2 * len(BATCHES) * len(questions)
        assert max(encoder.batch_sizes) == 16 and encoder.batch_sizes.count(1) == 2 * len(questions)
    # Round two runs the variants in reverse: batch 16 ran last in round one and first in round two.
    one_round = [1] * 20 + [4] * 5 + [16, 4]
    assert encoders[2].batch_sizes == one_round + [16, 4] + [4] * 5 + [1] * 20
    assert query_batching.ms_per_query(encoders[1], questions, 4) > 0


def test_peak_bound_is_the_mean_question_work_over_the_peak() -> None:
    from eval.bench.query_batching import peak_ms_per_query
    from eval.bench.roofline import TransformerShape

    shape = TransformerShape(layers=1, hidden=2, intermediate=4)
    encoder = FakeEncoder()  # two special tokens and one per word
    questions = ["one", "one two three"]
    expected_flops = (shape.flops(3) + shape.flops(5)) / 2
    assert peak_ms_per_query(encoder, questions, shape, peak=1e6) == expected_flops / 1e6 * 1000
