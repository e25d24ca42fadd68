"""The memoising encoder returns the wrapped model's vectors and embeds each text once."""

from __future__ import annotations

import numpy as np

from eval.backends.caching import CachingEncoder
from tests.fakes import FakeEncoder


def test_vectors_match_the_inner_encoder_and_repeats_are_not_re_encoded() -> None:
    inner = FakeEncoder()
    cached = CachingEncoder(inner)
    texts = ["the office in Shanghai", "a delegation", "the office in Shanghai"]
    first = cached.encode(texts)
    np.testing.assert_array_equal(first, FakeEncoder().encode(texts))
    assert inner.texts_encoded == 2
    again = cached.encode(["a delegation", "new text"])
    np.testing.assert_array_equal(again[0], first[1])
    assert inner.texts_encoded == 3
    assert cached.encode([]).shape == (0, inner.dimension)
    assert (cached.name, cached.dimension, cached.count_tokens("a b")) == (inner.name, 64, 4)
