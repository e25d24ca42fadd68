"""Every signal over the whole index: declared alternates and story keys, near-copies, translations."""

from __future__ import annotations

from collections.abc import Sequence

from indexer.build.stories.anchors import translation_pairs
from indexer.build.stories.declared import alternate_links, story_keys
from indexer.build.stories.shingles import near_copy_pairs
from indexer.models import Article
from indexer.store.stories import StoryMap

# Names the rules and their thresholds: recorded in the manifest and the index version, so a
# change of rules gives an index its groups anew even when no article changed.
STORY_RULES = "stories-1"


def detect_stories(articles: Sequence[Article]) -> StoryMap:
    """The story groups of ``articles``; the same articles give the same map in whatever order they come."""
    ordered = sorted(articles, key=lambda a: a.id)
    groups: list[tuple[str, ...]] = [*alternate_links(ordered), *story_keys(ordered)]
    groups += near_copy_pairs(ordered)
    groups += translation_pairs(ordered)
    return StoryMap.from_groups(groups)
