"""Planning a version's segments: which are kept, which are new, which are merged into one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from indexer.store.keyword import TermCounts
from indexer.store.loaded import LoadedIndex
from indexer.store.segments import IndexContent, Segment, merge_content

# Merge policy. A build only adds a segment (and marks deleted rows), so an update costs what
# changed; ``indexer.store.merging`` then rewrites, once the update is live: more than MAX_SEGMENTS
# segments and the MERGE_WIDTH smallest become one, so a segment's rows are rewritten about
# log(archive / update) times over its life, each time with segments of similar size; a
# segment more than half deleted is rewritten with its live rows only. A build merges by
# itself only past BUILD_MAX_SEGMENTS, so an index that nothing merges still has few segments.
MAX_SEGMENTS = 8
MERGE_WIDTH = 5
BUILD_MAX_SEGMENTS = 16


def choose_merge(
    sizes: Sequence[tuple[int, int]], *, max_segments: int = MAX_SEGMENTS, rewrite_deleted: bool = True
) -> list[int]:
    """Given (live, stored) passages per segment, the segments to rewrite as one (empty: none)."""
    chosen = {i for i, (live, stored) in enumerate(sizes) if live * 2 < stored} if rewrite_deleted else set()
    rest = sorted((i for i in range(len(sizes)) if i not in chosen), key=lambda i: (sizes[i][0], i))
    if len(rest) + (1 if chosen else 0) > max_segments:
        chosen |= set(rest[:MERGE_WIDTH])
    return sorted(chosen)


@dataclass(slots=True)
class PlannedSegment:
    """A segment of the version being written: taken over from ``source`` or written from ``content``."""

    name: str
    live: int
    stored: int
    live_sentences: int
    source: Segment | None = None
    content: IndexContent | None = None
    terms: TermCounts | None = None
    deleted: frozenset[str] = frozenset()


def plan_update(
    content: IndexContent, hashes: dict[str, str], previous: LoadedIndex | None, version: str
) -> list[PlannedSegment]:
    """The segments of the new version before any merge: kept ones with their deletions, then the new one."""
    fresh = {a.id for a in content.articles}
    planned: list[PlannedSegment] = []
    generation = 0
    for segment in previous.segments if previous is not None else ():
        generation = max(generation, generation_of(segment.name))
        dead = set(previous.tombstones.get(segment.name, ())) if previous is not None else set()
        metas = segment.records.metas
        dead |= {m.id for m in metas if m.id in fresh or hashes.get(m.id) != m.content_hash}
        if len(dead) < len(metas):
            dead_codes = np.array([i for i, m in enumerate(metas) if m.id in dead], dtype=np.int32)
            live = int((~np.isin(segment.records.passage_article, dead_codes)).sum())
            sentences = int((~np.isin(segment.records.sentence_article, dead_codes)).sum())
            planned.append(
                PlannedSegment(
                    segment.name, live, len(segment.passages), sentences, source=segment, deleted=frozenset(dead)
                )
            )
    if content.articles:
        generation += 1
        name = f"{generation:06d}-{version[:8]}"
        size = len(content.passages)
        planned.append(PlannedSegment(name, size, size, len(content.sentences), content=content))
    return _largest_first(planned)


def merge_planned(
    planned: list[PlannedSegment], merging: Sequence[int], hashes: dict[str, str], version: str
) -> list[PlannedSegment]:
    """``planned`` with the segments at ``merging`` replaced by one segment of their live records."""
    if not merging:
        return planned
    sources = [planned[i].source or planned[i].content for i in merging]
    merged, terms = merge_content(
        list(hashes), [s for s in sources if s is not None], [planned[i].deleted for i in merging]
    )
    generation = max(generation_of(p.name) for p in planned) + 1
    name = f"{generation:06d}-{version[:8]}"
    merged_away = set(merging)
    kept = [p for i, p in enumerate(planned) if i not in merged_away]
    size = len(merged.passages)
    return _largest_first([*kept, PlannedSegment(name, size, size, len(merged.sentences), content=merged, terms=terms)])


def _largest_first(planned: list[PlannedSegment]) -> list[PlannedSegment]:
    # The largest segment lives in the version folder itself, the rest in segments/<name>/.
    return sorted(planned, key=lambda p: (-p.live, p.name))


def generation_of(name: str) -> int:
    head = name.split("-", 1)[0]
    return int(head) if head.isdigit() else 0
