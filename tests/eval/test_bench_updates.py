"""The update-cost bench: adding articles writes the new segment and a manifest, and says so."""

from __future__ import annotations

from pathlib import Path

from eval.bench.updates import merge_cost, new_articles, render_merges, render_updates, update_costs
from indexer.store.plan import MAX_SEGMENTS
from indexer.store.reader import load_index
from tests.conftest import SEEDS
from tests.fakes import FakeEncoder


def test_update_costs_count_only_what_the_build_wrote(seeds_index: Path) -> None:
    before = load_index(seeds_index)
    costs = update_costs(seeds_index, SEEDS, FakeEncoder())
    assert [c.articles for c in costs] == [1, 10]
    assert costs[0].passages_before == len(before.passages)
    assert costs[1].passages_before == costs[0].passages_before + costs[0].passages_added
    for cost in costs:
        assert cost.passages_added > 0 and 0 < cost.written_bytes < cost.index_bytes
        assert cost.write_call_bytes >= cost.written_bytes
    assert [c.segments for c in costs] == [2, 3]
    after = load_index(seeds_index)
    assert len(after.articles) == len(before.articles) + 11
    assert "share" in render_updates(costs)


def test_new_articles_are_deterministic_and_new() -> None:
    first, again = new_articles(SEEDS, 3, seed=7), new_articles(SEEDS, 3, seed=7)
    assert first == again and len({a.id for a in first}) == 3
    assert all(a.id.startswith("upd_7_") and a.body for a in first)


def test_merge_cost_grows_one_segment_per_update_then_counts_the_merge(seeds_index: Path) -> None:
    cost = merge_cost(seeds_index, SEEDS, FakeEncoder())
    assert cost.updates == MAX_SEGMENTS and cost.segments_before == MAX_SEGMENTS + 1
    assert cost.segments_after == len(load_index(seeds_index).manifest.segments) < cost.segments_before
    assert 0 < cost.written_bytes < cost.index_bytes and cost.seconds > 0
    assert cost.passages == len(load_index(seeds_index).passages)
    assert "9 -> 5" in render_merges([cost])
