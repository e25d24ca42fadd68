"""How the ONNX backends cut a call into batches: by token count, capped, each distinct text once.

Only the packaged model's tokenizer file is read; no ONNX session is opened, nothing exported.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.encoders.onnx_backend import OnnxEncoder
from indexer.encoders.token_batches import _token_batches

SENTENCES = [
    "The university opened a representative office in Shanghai.",
    "Rector.",
    "Students from twelve countries took part in the summer school on applied mathematics and physics.",
    "The university opened a representative office in Shanghai.",
    "A joint laboratory was set up.",
    "Rector.",
    "Rector.",
]


@pytest.fixture(scope="module")
def encoder(tmp_path_factory: pytest.TempPathFactory) -> OnnxEncoder:
    return OnnxEncoder(None, quantized=False, cache_dir=tmp_path_factory.mktemp("cache"))


def test_batches_are_longest_first_stable_and_capped_in_texts_and_padded_tokens() -> None:
    lengths = [5, 9, 5, 3, 9, 2]
    assert _token_batches(lengths, 64, 1000) == [[1, 4, 0, 2, 3, 5]]
    assert _token_batches(lengths, 2, 1000) == [[1, 4], [0, 2], [3, 5]]
    # 9 tokens a text: two fit in 20 padded tokens, a third would not; the 5s start a batch of four.
    assert _token_batches(lengths, 64, 20) == [[1, 4], [0, 2, 3, 5]]
    # A text longer than the cap still goes, alone.
    assert _token_batches([30, 4], 64, 20) == [[0], [1]]


def test_each_row_is_planned_once_and_repeats_ride_with_their_first(encoder: OnnxEncoder) -> None:
    plan = encoder.batch_rows(SENTENCES, 2)
    rows = [row for batch in plan for row in batch]
    assert sorted(rows) == list(range(len(SENTENCES)))
    # Four distinct texts in batches of two distinct texts; repeats do not count towards the size.
    assert len(plan) == 2
    for batch in plan:
        distinct = {SENTENCES[row] for row in batch}
        assert len(distinct) <= 2
        for row in batch:
            first = SENTENCES.index(SENTENCES[row])
            assert first in batch
    longest = SENTENCES[2]
    assert plan[0][0] == 2 and SENTENCES[plan[0][0]] == longest


def test_a_worker_handed_one_planned_batch_plans_it_as_one_batch_in_the_same_order(encoder: OnnxEncoder) -> None:
    """A distributed build (indexer/engines/ray_embed.py) encodes each planned batch whole."""
    for batch in encoder.batch_rows(SENTENCES, 2):
        texts = [SENTENCES[row] for row in batch]
        assert encoder.batch_rows(texts, len(texts)) == [list(range(len(texts)))]


def test_padded_tokens_per_batch_stay_under_the_cap(encoder: OnnxEncoder) -> None:
    long_text = " ".join(["The university opened a representative office in Shanghai."] * 40)
    texts = [f"{i} {long_text}" for i in range(6)] + [f"sentence {i}" for i in range(6)]
    default = encoder.max_batch_tokens
    encoder.max_batch_tokens = 600
    try:
        plan = encoder._plan(texts, 64)
    finally:
        encoder.max_batch_tokens = default
    assert max(plan.lengths) == encoder.max_seq_length  # truncated at the model's 256, as torch does
    for batch in plan.batches:
        assert len(batch) * int(plan.lengths[batch[0]]) <= 600 or len(batch) == 1
    assert [len(b) for b in plan.batches] == [2, 2, 2, 6]


def test_the_model_path_is_the_fused_export_for_onnx_and_the_quantised_one_for_int8(tmp_path: Path) -> None:
    assert OnnxEncoder(None, quantized=False, cache_dir=tmp_path)._variant == "fused"
    assert OnnxEncoder(None, quantized=True, cache_dir=tmp_path)._variant == "int8"
