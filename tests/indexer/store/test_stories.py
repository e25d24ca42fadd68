"""The story map: groups joined when they share an article, named by their smallest id, round-tripped."""

from __future__ import annotations

from indexer.store.stories import StoryMap


def test_overlapping_groups_join_and_take_the_smallest_id() -> None:
    stories = StoryMap.from_groups([["b", "c"], ["c", "a"], ["x", "y"], ["solo"]])
    assert stories.story_of("c") == "a"
    assert stories.versions("b") == ("a", "b", "c")
    assert stories.story_of("solo") == "solo"
    assert stories.versions("solo") == ("solo",)
    assert stories.groups() == (("a", "b", "c"), ("x", "y"))


def test_order_of_reading_does_not_change_the_names() -> None:
    one = StoryMap.from_groups([["y", "x"], ["c", "b"], ["a", "c"]])
    two = StoryMap.from_groups([["a", "c"], ["b", "c"], ["x", "y"]])
    assert one == two


def test_removing_a_version_leaves_the_rest_grouped_or_alone() -> None:
    stories = StoryMap.from_groups([["a", "b", "c"], ["x", "y"]])
    left = stories.restricted(["b", "c", "x"])
    assert left.groups() == (("b", "c"),)
    assert left.story_of("x") == "x"


def test_json_round_trip() -> None:
    stories = StoryMap.from_groups([["a", "b"], ["k", "m", "l"]])
    assert StoryMap.from_json(stories.to_json()) == stories
    assert StoryMap.from_json(StoryMap().to_json()) == StoryMap()
