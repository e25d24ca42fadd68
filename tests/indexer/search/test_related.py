"""Related news: other stories close in content, near-copies left out, newest first among equals."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from indexer.build.builder import BuildOptions, build_index
from indexer.errors import InvalidQueryError, NotFoundError
from indexer.search.retriever import Retriever
from indexer.store.stories import StoryMap
from tests.fakes import FakeEncoder

BODY = "The exchange programme sent students abroad to partner universities in China."
ARTICLES = {
    "base.txt": f"Exchange programme\n\n5 March 2022 News 1\n\n{BODY}",
    # The same story again (a repost): a version, not related news.
    "repost.txt": f"Exchange programme\n\n6 March 2022 News 1\n\n{BODY}",
    # Two stories alike in content and in their likeness to the base, years apart.
    "older.txt": "Exchange students\n\n1 May 2019 News 1\n\nStudents went abroad on the exchange programme to China.",
    "newer.txt": "Exchange students\n\n1 May 2024 News 1\n\nStudents went abroad on the exchange programme to China.",
    "canteen.txt": "Canteen menu\n\n1 June 2025 News 1\n\nThe canteen serves soup and pancakes on Fridays.",
}


@pytest.fixture
def news(tmp_path: Path, fake_encoder: FakeEncoder) -> Retriever:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for name, text in ARTICLES.items():
        (seeds / name).write_text(text, encoding="utf-8")
    build_index(seeds, tmp_path / "index", fake_encoder, BuildOptions(chunk_tokens=64, overlap_tokens=8))
    return Retriever.open(tmp_path / "index", encoder=fake_encoder)


def test_related_leaves_out_itself_and_its_copies_and_puts_the_newest_of_equals_first(news: Retriever) -> None:
    found = [(article.id, score) for article, score in news.related("base", k=10)]
    ids = [article_id for article_id, _ in found]
    assert "base" not in ids and "repost" not in ids
    assert ids[:2] == ["newer", "older"] and found[0][1] == found[1][1]
    assert ids[-1] == "canteen" and found[-1][1] < found[0][1]


def test_related_is_bounded_by_k_and_checks_its_input(news: Retriever) -> None:
    assert len(news.related("base", k=1)) == 1
    with pytest.raises(NotFoundError):
        news.related("nope")
    with pytest.raises(InvalidQueryError):
        news.related("base", k=0)


def with_stories(retriever: Retriever, *groups: tuple[str, ...]) -> Retriever:
    """The same index, with ``groups`` as its stories (as a build that detected them would load it)."""
    index = dataclasses.replace(retriever.index, stories=StoryMap.from_groups(groups))
    return Retriever(index, retriever.encoder, fusion=retriever.fusion)


def test_related_leaves_out_the_versions_of_its_own_story(news: Retriever) -> None:
    # "canteen" is far from the base in content: only the story says it is a version.
    grouped = with_stories(news, ("base", "canteen"))
    ids = [article.id for article, _ in grouped.related("base", k=10)]
    assert "canteen" not in ids and "repost" not in ids and ids == ["newer", "older"]


def test_related_lists_another_story_once_by_its_closest_version(news: Retriever) -> None:
    grouped = with_stories(news, ("older", "newer"))
    found = grouped.related("base", k=10)
    assert [article.id for article, _ in found] == ["newer", "canteen"]
    assert [article.id for article, _ in news.related("base", k=10)] == ["newer", "older", "canteen"]
