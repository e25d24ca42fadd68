"""Versions of one story: which articles tell the same news (a translation, a repost, a near-copy).

A story is named by the smallest id among its versions, so the name does not depend on the order
articles were read in, and an article in no group is a story of its own under its own id. Only
groups of two or more are stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import msgspec


@dataclass(frozen=True, slots=True)
class StoryMap:
    """Article id -> story id for the articles that share a story with another; others stand alone."""

    story: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_groups(cls, groups: Iterable[Iterable[str]]) -> StoryMap:
        """Groups that share an article are one story (the union of them); singletons are dropped."""
        parent: dict[str, str] = {}

        def root(item: str) -> str:
            while parent[item] != item:
                parent[item] = parent[parent[item]]
                item = parent[item]
            return item

        for group in groups:
            members = sorted(set(group))
            for member in members:
                parent.setdefault(member, member)
            for member in members[1:]:
                a, b = root(members[0]), root(member)
                if a != b:
                    parent[max(a, b)] = min(a, b)
        by_root: dict[str, list[str]] = {}
        for member in parent:
            by_root.setdefault(root(member), []).append(member)
        story: dict[str, str] = {}
        for members in by_root.values():
            if len(members) > 1:
                name = min(members)
                story.update((member, name) for member in members)
        return cls(dict(sorted(story.items())))

    def story_of(self, article_id: str) -> str:
        return self.story.get(article_id, article_id)

    def versions(self, article_id: str) -> tuple[str, ...]:
        """Every article of ``article_id``'s story, itself included, by id."""
        name = self.story.get(article_id)
        if name is None:
            return (article_id,)
        return tuple(sorted(a for a, s in self.story.items() if s == name))

    def groups(self) -> tuple[tuple[str, ...], ...]:
        """The stories told more than once, each as its versions by id, by story id."""
        by_story: dict[str, list[str]] = {}
        for article_id, name in self.story.items():
            by_story.setdefault(name, []).append(article_id)
        return tuple(tuple(sorted(by_story[name])) for name in sorted(by_story))

    def restricted(self, live: Iterable[str]) -> StoryMap:
        """The same groups over the articles still in the index (a removed version leaves its story)."""
        alive = set(live)
        return StoryMap.from_groups(tuple(a for a in g if a in alive) for g in self.groups())

    def to_json(self) -> bytes:
        return msgspec.json.encode({"groups": [list(g) for g in self.groups()]})

    @classmethod
    def from_json(cls, data: bytes) -> StoryMap:
        decoded = msgspec.json.decode(data, type=dict[str, list[list[str]]])
        return cls.from_groups(decoded.get("groups", []))
