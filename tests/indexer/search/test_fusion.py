from __future__ import annotations

import pytest

from indexer.search.fusion import FusionConfig, convex, fuse, reciprocal_rank


def test_rrf_by_hand() -> None:
    dense = {1: 0.9, 2: 0.8}  # ranks: 1 -> 1, 2 -> 2
    keyword = {2: 5.0, 3: 1.0}  # ranks: 2 -> 1, 3 -> 2
    fused = reciprocal_rank(dense, keyword, weight=0.5, rrf_k=60)
    assert fused[1] == pytest.approx(0.5 / 61)
    assert fused[2] == pytest.approx(0.5 / 62 + 0.5 / 61)
    assert fused[3] == pytest.approx(0.5 / 62)


def test_rrf_weight_moves_toward_one_list() -> None:
    fused = reciprocal_rank({1: 1.0, 2: 0.5}, {2: 3.0, 1: 1.0}, weight=0.8, rrf_k=60)
    assert fused[1] > fused[2]


def test_convex_by_hand() -> None:
    fused = convex({1: 0.2, 2: 0.6}, {2: 1.0, 3: 3.0}, weight=0.25)
    # dense normalised: 1 -> 0, 2 -> 1; keyword normalised: 2 -> 0, 3 -> 1
    assert fused == pytest.approx({1: 0.0, 2: 0.25, 3: 0.75})


def test_single_candidate_counts_as_best() -> None:
    assert convex({7: 0.3}, {}, weight=0.5) == {7: 0.5}


def test_fuse_dispatches_on_method() -> None:
    dense, keyword = {1: 0.9}, {2: 4.0}
    assert fuse(dense, keyword, FusionConfig(method="convex", weight=0.5)) == convex(dense, keyword, weight=0.5)
    assert fuse(dense, keyword, FusionConfig(method="rrf", weight=0.5, rrf_k=10)) == reciprocal_rank(
        dense, keyword, weight=0.5, rrf_k=10
    )
