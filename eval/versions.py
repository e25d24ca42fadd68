"""Versions of one story in the evaluation: a hit on any version counts, and which version comes first.

A question names the articles that answer it (``doc_ids``); when one of them is also told in
another language or reposted, a passage of any version that holds an answer string is a hit,
so a story is counted once whichever version ranks. Apart from that, ``lang_first`` asks of a
question whose story exists in two or more languages (its own among them) whether the version
in the question's language is the first of the story's versions in the ranking, and
``lang_first_folded`` the same of the result list folded by story (``group=article``), which
shows the question-language version whenever it is among the ranked passages.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import msgspec

from eval.errors import EvalError
from eval.questions import Question
from eval.records import Retrieved
from indexer.search.grouping import story_versions
from indexer.store.stories import StoryMap
from indexer.text.language import detect_language


@dataclass(frozen=True, slots=True)
class LangFirst:
    """One question's two figures: the question-language version first in the ranking, and shown once folded."""

    raw: float
    folded: float


@dataclass(frozen=True, slots=True)
class StoryView:
    """The index's stories (article -> its story's versions) and each version's language."""

    versions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    langs: Mapping[str, str | None] = field(default_factory=dict)

    @classmethod
    def of(cls, stories: StoryMap, langs: Mapping[str, str | None]) -> StoryView:
        return cls(story_versions(stories.groups()), dict(langs))

    def expand(self, question: Question) -> Question:
        """``question`` with every version of its articles' stories among its ``doc_ids`` (its own first)."""
        extra = sorted({v for a in question.doc_ids for v in self.versions.get(a, ())} - set(question.doc_ids))
        if not extra:
            return question
        return msgspec.structs.replace(question, doc_ids=(*question.doc_ids, *extra))

    def _story(self, question: Question) -> frozenset[str]:
        return frozenset(v for a in question.doc_ids for v in self.versions.get(a, (a,)))

    def lang_first(self, question: Question, hits: Sequence[Retrieved]) -> LangFirst | None:
        """The figures of a question whose story is told in two or more languages, its own among them; else None.

        A story none of whose versions is ranked counts as not first (0), not as left out.
        """
        if not question.answerable:
            return None
        story = self._story(question)
        langs = {self.langs.get(v) for v in story} - {None}
        if len(langs) < 2:
            return None
        lang = detect_language(question.question)
        if lang not in langs:
            return None
        ranked = [self.langs.get(hit.article_id) for hit in hits if hit.article_id in story]
        return LangFirst(
            raw=1.0 if ranked and ranked[0] == lang else 0.0,
            folded=1.0 if lang in ranked else 0.0,
        )


NO_STORIES = StoryView()


def read_groups(path: Path) -> StoryMap:
    """A stories file: ``{"groups": [[article ids...], ...]}`` (``StoryMap.to_json``)."""
    try:
        return StoryMap.from_json(path.read_bytes())
    except OSError as exc:
        raise EvalError(f"cannot read stories file {path} ({exc.strerror or exc})") from exc
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise EvalError(f'{path} is not a stories file ({{"groups": [[article ids...], ...]}}): {exc}') from exc


def versions_of(stories: StoryMap) -> Iterable[str]:
    """Every article that is a version of a story told more than once."""
    return (article_id for group in stories.groups() for article_id in group)
