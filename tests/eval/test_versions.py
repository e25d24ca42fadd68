"""Versions of one story in the evaluation: a hit on any version counts, and which language comes first."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from eval.errors import EvalError
from eval.questions import Question
from eval.records import AskOutcome, Retrieved
from eval.report import render
from eval.runner import evaluate
from eval.scoring import judge, summarize
from eval.versions import StoryView, read_groups
from indexer.models import SearchMode
from indexer.store.stories import StoryMap

# One story in English ("en1") and Russian ("ru1"); "en2" told once.
STORIES = StoryMap.from_groups([["en1", "ru1"]])
LANGS = {"en1": "en", "ru1": "ru", "en2": "en"}
VIEW = StoryView.of(STORIES, LANGS)
RUSSIAN = Question(id="r", question="Когда открылось представительство?", doc_ids=("ru1",), answers=("2016",))
ENGLISH = Question(id="e", question="When did the office open?", doc_ids=("en1",), answers=("2016",))
ALONE = Question(id="a", question="Who visited the campus?", doc_ids=("en2",), answers=("Gao",))


def ranking(*articles: str, text: str = "opened in 2016") -> list[Retrieved]:
    return [
        Retrieved(rank=r, score=1.0 / r, passage_id=f"{a}#{r}", article_id=a, text=text, lang=LANGS.get(a))
        for r, a in enumerate(articles, start=1)
    ]


def test_a_question_stands_for_every_version_of_its_story() -> None:
    assert VIEW.expand(RUSSIAN).doc_ids == ("ru1", "en1")
    assert VIEW.expand(ALONE) is ALONE
    assert StoryView().expand(RUSSIAN) is RUSSIAN


def test_lang_first_in_the_ranking_and_folded_by_story() -> None:
    first = VIEW.lang_first(RUSSIAN, ranking("en2", "ru1", "en1"))
    assert first is not None and (first.raw, first.folded) == (1.0, 1.0)
    second = VIEW.lang_first(RUSSIAN, ranking("en1", "en2", "ru1"))
    # The English version ranks first; folded by story, the Russian one is shown.
    assert second is not None and (second.raw, second.folded) == (0.0, 1.0)
    missing = VIEW.lang_first(ENGLISH, ranking("ru1", "en2"))
    assert missing is not None and (missing.raw, missing.folded) == (0.0, 0.0)
    none = VIEW.lang_first(ENGLISH, ranking("en2"))
    assert none is not None and (none.raw, none.folded) == (0.0, 0.0)


def test_lang_first_is_only_asked_of_stories_in_several_languages_including_the_questions() -> None:
    assert VIEW.lang_first(ALONE, ranking("en2")) is None
    unanswerable = Question(id="u", question="What is the Wi-Fi password?")
    assert VIEW.lang_first(unanswerable, ranking("en1")) is None
    chinese = Question(id="z", question="代表处什么时候开的?", doc_ids=("ru1",), answers=("2016",))
    assert VIEW.lang_first(chinese, ranking("ru1")) is None


def test_summaries_average_lang_first_over_the_questions_it_applies_to() -> None:
    judged = [
        judge(VIEW.expand(q), hits, 1, None, lang_first=VIEW.lang_first(q, hits))
        for q, hits in ((RUSSIAN, ranking("en1", "ru1")), (ENGLISH, ranking("en1")), (ALONE, ranking("en2")))
    ]
    metrics = summarize(judged)
    assert (metrics["lang_first"], metrics["lang_first_folded"], metrics["n_lang_first"]) == (0.5, 1.0, 2)
    assert judged[0].record()["lang_first"] == 0.0 and "lang_first" not in judged[2].record()
    plain = summarize([judge(ALONE, ranking("en2"), 1, None)])
    assert (plain["lang_first"], plain["lang_first_folded"], plain["n_lang_first"]) == (None, None, 0)


class _Backend:
    """Every query ranks the English version first, its passage holding the answer in English words."""

    description = "fake"

    def search(self, queries: Sequence[str], *, k: int, mode: SearchMode, now: object = None) -> list[list[Retrieved]]:
        return [ranking("en1", "ru1", text="It opened in April 2016") for _ in queries]

    def ask(self, queries: Sequence[str], *, now: object = None) -> list[AskOutcome]:
        return [AskOutcome(answer=None, abstained=True) for _ in queries]

    def passages(self) -> list[tuple[str, str, str]] | None:
        return [("en1#1", "en1", "It opened in April 2016"), ("ru1#2", "ru1", "It opened in April 2016")]

    def close(self) -> None:
        pass


def test_a_hit_on_another_version_counts_and_without_stories_nothing_changes() -> None:
    alone = evaluate(_Backend(), [RUSSIAN], modes=("hybrid",), k=10)
    told = evaluate(_Backend(), [RUSSIAN], modes=("hybrid",), k=10, stories=VIEW)
    assert alone.runs["hybrid"].metrics["hit@1"] == 0.0 and alone.runs["hybrid"].metrics["n_lang_first"] == 0
    assert told.runs["hybrid"].metrics["hit@1"] == 1.0
    assert told.qrels == {"r": {"en1#1", "ru1#2"}} and alone.qrels == {"r": {"ru1#2"}}
    assert (told.runs["hybrid"].metrics["lang_first"], told.runs["hybrid"].metrics["lang_first_folded"]) == (0.0, 1.0)
    assert "lang_first" in render(told) and "lang_first" not in render(alone)


def test_a_stories_file_is_the_story_map_json_and_a_bad_one_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "stories.json"
    path.write_bytes(STORIES.to_json())
    assert read_groups(path) == STORIES
    path.write_text(json.dumps({"groups": "en1"}))
    with pytest.raises(EvalError, match="not a stories file"):
        read_groups(path)
    with pytest.raises(EvalError, match="cannot read"):
        read_groups(tmp_path / "missing.json")
