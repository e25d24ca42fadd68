"""Declared versions: alternates named in either direction, export story keys."""

from __future__ import annotations

from indexer.build.stories.declared import alternate_links, story_keys
from tests.indexer.build.stories.helpers import article


def test_an_alternate_declared_by_one_side_links_both() -> None:
    en = article("en", "text", url="https://news.example/en/item", alternates=("https://news.example/ru/item",))
    ru = article("ru", "текст", url="https://NEWS.example/ru/item#top", lang="ru")
    other = article("other", "text", url="https://news.example/en/other")
    assert alternate_links([ru, other, en]) == [("en", "ru")]


def test_alternates_of_pages_not_in_the_index_and_of_the_page_itself_link_nothing() -> None:
    en = article(
        "en",
        "text",
        url="https://news.example/en/item",
        alternates=("https://news.example/de/item", "https://news.example/en/item"),
    )
    assert alternate_links([en, article("plain", "text")]) == []


def test_articles_sharing_a_story_key_form_one_group_and_lone_keys_none() -> None:
    found = story_keys(
        [
            article("c", "x", story="k1"),
            article("a", "x", story="k1"),
            article("b", "x", story="k2"),
            article("d", "x"),
            article("e", "x", story="k1"),
        ]
    )
    assert found == [("a", "c", "e")]
