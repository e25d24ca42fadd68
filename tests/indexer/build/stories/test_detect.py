"""All signals together: one map whatever the order, groups joined across signals, none on the real corpus."""

from __future__ import annotations

import random

from indexer.build.builder import with_language
from indexer.build.stories.detect import detect_stories
from indexer.models import Article
from indexer.sources.articles import read_articles
from tests.conftest import SEEDS
from tests.indexer.build.stories.helpers import RU_ARTICLES, article, seed_bodies
from tests.indexer.build.stories.test_anchors import EN, RU


def _articles() -> list[Article]:
    bodies = seed_bodies()
    first = sorted(bodies)[0]
    return [
        *(article(i, b) for i, b in bodies.items()),
        article("repost", f"Reposted.\n\n{bodies[first]}\n\nShare this."),
        article("en", EN, date="2025-07-17", url="https://news.example/en/lab"),
        article("ru", RU, date="2025-07-18", lang="ru"),
        article(
            "de", "Ein Labor in Suzhou.", url="https://news.example/de/lab", alternates=("https://news.example/en/lab",)
        ),
        article("x1", "First export line.", story="k"),
        article("x2", "Second export line.", story="k"),
    ]


def test_signals_join_into_groups() -> None:
    first = sorted(seed_bodies())[0]
    groups = detect_stories(_articles()).groups()
    assert groups == ((first, "repost"), ("de", "en", "ru"), ("x1", "x2"))


def test_the_same_articles_in_any_order_give_the_same_bytes() -> None:
    articles = _articles()
    expected = detect_stories(articles).to_json()
    for seed in range(5):
        shuffled = list(articles)
        random.Random(seed).shuffle(shuffled)
        assert detect_stories(shuffled).to_json() == expected


def test_the_seeds_and_the_russian_articles_tell_no_story_twice() -> None:
    # Read side by side, no Russian article is a version of a seed (eval/stories/pairs.jsonl).
    articles = [with_language(a) for a in [*read_articles(SEEDS), *read_articles(RU_ARTICLES)]]
    assert len(articles) == 11
    assert detect_stories(articles).groups() == ()
