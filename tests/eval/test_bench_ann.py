"""The ANN study's helpers: recall against exact search, and random vectors shaped like real ones."""

from __future__ import annotations

import numpy as np

from eval.bench.ann import Shape, compare, recall_at_10, uniform_vectors


def test_recall_at_10_counts_the_exact_top_ten_found() -> None:
    exact = np.array([list(range(10)), list(range(10, 20))])
    approximate = np.array([[0, 1, 2, 3, 4, 5, 6, 7, 98, 99], list(range(10, 20))[::-1]])
    # First query finds 8 of 10, second all 10 in another order: mean 0.9.
    assert recall_at_10(exact, approximate) == 0.9


def test_shaped_vectors_are_unit_length_and_keep_the_real_mean_direction() -> None:
    rng = np.random.default_rng(0)
    direction = np.zeros(16, dtype=np.float32)
    direction[3] = 1.0
    real = direction + 0.1 * rng.standard_normal((500, 16)).astype(np.float32)
    real /= np.linalg.norm(real, axis=1, keepdims=True)
    sampled = Shape.of(real).sample(300, np.random.default_rng(1), block=64)
    assert sampled.shape == (300, 16)
    np.testing.assert_allclose(np.linalg.norm(sampled, axis=1), 1.0, rtol=1e-5)
    assert float(sampled.mean(axis=0) @ direction) > 0.9


def test_exact_search_has_full_recall_and_every_setting_is_reported() -> None:
    rng = np.random.default_rng(0)
    vectors, queries = uniform_vectors(300, 8, rng), uniform_vectors(5, 8, rng)
    rows = list(compare("uniform", vectors, queries, hnsw_m=(8,), ef_search=(128,), ivf_nprobe=(4,)))
    assert [(r.index, r.params.split()[0]) for r in rows] == [("flat", "exact"), ("hnsw", "M=8"), ("ivf", "nlist=69")]
    assert rows[0].recall_at_10 == 1.0
    assert all(0.0 <= r.recall_at_10 <= 1.0 for r in rows)
