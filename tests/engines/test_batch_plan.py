"""The batch plan the Ray engine sends to workers is the batching a local encode does."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from indexer.engines.batch_plan import length_sorted_batches, planned_batches


@given(st.lists(st.text(max_size=30), max_size=60), st.integers(min_value=1, max_value=9))
def test_plan_partitions_rows_longest_first(texts: list[str], batch_size: int) -> None:
    plan = length_sorted_batches(texts, batch_size)
    rows = [row for batch in plan for row in batch]
    assert sorted(rows) == list(range(len(texts)))
    assert all(len(batch) == batch_size for batch in plan[:-1])
    lengths = [len(texts[row]) for row in rows]
    assert lengths == sorted(lengths, reverse=True)


def test_plan_matches_sentence_transformers_order() -> None:
    texts = ["bb", "a", "cccc", "dd", "", "eee", "ff"]
    # sentence-transformers: np.argsort of negated lengths, then consecutive slices.
    order = np.argsort([-len(t) for t in texts]).tolist()
    assert length_sorted_batches(texts, 3) == [order[0:3], order[3:6], order[6:7]]


def test_plan_rejects_a_zero_batch() -> None:
    with pytest.raises(ValueError):
        length_sorted_batches(["a"], 0)


class _OwnPlan:
    """An encoder that plans its own batches, as the ONNX backends do."""

    def batch_rows(self, texts: list[str], batch_size: int) -> list[list[int]]:
        return [[len(texts) - 1 - row for row in range(len(texts))]]


def test_plan_follows_an_encoder_that_plans_its_own_batches() -> None:
    assert planned_batches(_OwnPlan(), ["a", "bb", "c"], 2) == [[2, 1, 0]]
    assert planned_batches(object(), ["a", "bb", "c"], 2) == length_sorted_batches(["a", "bb", "c"], 2)


def test_onnx_batches_are_longest_first_and_stable_on_ties() -> None:
    from indexer.encoders.token_batches import _token_batches

    # Python's sort is stable: equal lengths keep their input order (numpy's default sort need not).
    assert _token_batches([2, 1, 2, 1, 3], 2, 1000) == [[4, 0], [2, 1], [3]]
