"""Results by article: one group per article at its best passage's rank, pages of groups, facets."""

from __future__ import annotations

from indexer.models import ComponentScores, Hit, Passage
from indexer.search.grouping import article_page, facet_counts, group_by_article, group_by_story, story_versions


def hit(rank: int, article: str, ordinal: int, date: str | None = "2024-05-01", lang: str | None = "en") -> Hit:
    passage = Passage(
        id=f"{article}#{ordinal}", article_id=article, ordinal=ordinal, title=article, date=date,
        start=0, end=1, n_tokens=1, text="x", lang=lang,
    )  # fmt: skip
    return Hit(rank=rank, score=1.0 / rank, scores=ComponentScores(), passage=passage)


HITS = [
    hit(1, "a", 2),
    hit(2, "a", 0),
    hit(3, "b", 1, date="2023-01-09"),
    hit(4, "a", 1),
    hit(5, "c", 0, date=None, lang="ru"),
    hit(6, "b", 0, date="2023-01-09"),
]


def test_each_article_once_at_its_best_rank_with_its_other_passages_in_order() -> None:
    groups = group_by_article(HITS)
    assert [(g.rank, g.best.passage.article_id) for g in groups] == [(1, "a"), (2, "b"), (3, "c")]
    assert [h.passage.id for h in groups[0].more] == ["a#0", "a#1"]
    assert [h.passage.id for h in groups[1].more] == ["b#0"]
    assert groups[2].more == ()


def test_grouping_reads_hits_by_rank_whatever_their_order() -> None:
    assert group_by_article(list(reversed(HITS))) == group_by_article(HITS)


def test_facets_count_articles_not_passages() -> None:
    facets = facet_counts(group_by_article(HITS))
    assert facets.years == (("2024", 1), ("2023", 1), ("undated", 1))
    assert facets.langs == (("en", 2), ("ru", 1))


def test_pages_follow_one_another_and_keep_the_facets_of_all() -> None:
    first = article_page(HITS, offset=0, limit=2)
    assert [g.best.passage.article_id for g in first.groups] == ["a", "b"]
    assert (first.total, first.next_offset) == (3, 2)
    second = article_page(HITS, offset=2, limit=2)
    assert [(g.rank, g.best.passage.article_id) for g in second.groups] == [(3, "c")]
    assert second.next_offset is None
    assert second.facets == first.facets
    beyond = article_page(HITS, offset=9, limit=2)
    assert beyond.groups == () and beyond.next_offset is None


def test_no_hits_no_groups() -> None:
    page = article_page([], offset=0, limit=10)
    assert page.groups == () and page.total == 0 and page.facets.years == () and page.facets.langs == ()


# "a" and "r" are one story in two languages, "b" another story told once.
VERSIONS = {"a": ("a", "r"), "r": ("a", "r")}
STORY_HITS = [
    hit(1, "a", 0),
    hit(2, "b", 0, date="2023-01-09"),
    hit(3, "r", 0, lang="ru"),
    hit(4, "a", 1),
    hit(5, "r", 1, lang="ru"),
]


def test_versions_of_a_story_are_one_result_at_the_best_versions_rank() -> None:
    groups = group_by_story(STORY_HITS, VERSIONS, lang="en")
    assert [(g.rank, g.best.passage.article_id, g.also_in) for g in groups] == [(1, "a", ("r",)), (2, "b", ())]
    assert [h.passage.id for h in groups[0].more] == ["a#1"]


def test_the_query_language_version_is_shown_when_it_matched() -> None:
    groups = group_by_story(STORY_HITS, VERSIONS, lang="ru")
    assert [(g.rank, g.best.passage.article_id, g.also_in) for g in groups] == [(1, "r", ("a",)), (2, "b", ())]
    assert [h.passage.id for h in groups[0].hits] == ["r#0", "r#1"]


def test_the_best_version_is_shown_when_none_in_the_query_language_matched() -> None:
    groups = group_by_story(STORY_HITS, VERSIONS, lang="zh")
    assert groups[0].best.passage.article_id == "a"
    only_russian = [h for h in STORY_HITS if h.passage.article_id != "a"]
    # A version that did not match is still named, so it is one click away.
    assert [(g.best.passage.article_id, g.also_in) for g in group_by_story(only_russian, VERSIONS, lang="en")] == [
        ("b", ()),
        ("r", ("a",)),
    ]


def test_without_stories_grouping_by_story_is_grouping_by_article() -> None:
    assert group_by_story(HITS, {}, lang="ru") == group_by_article(HITS)
    assert article_page(HITS, offset=0, limit=10) == article_page(HITS, offset=0, limit=10, versions={}, lang="en")


def test_facets_and_totals_count_a_story_once_and_pages_stay_stable() -> None:
    page = article_page(STORY_HITS, offset=0, limit=1, versions=VERSIONS, lang="ru")
    assert (page.total, page.next_offset) == (2, 1)
    assert page.facets.langs == (("en", 1), ("ru", 1))
    following = article_page(STORY_HITS, offset=1, limit=1, versions=VERSIONS, lang="ru")
    assert [(g.rank, g.best.passage.article_id) for g in following.groups] == [(2, "b")]
    assert following.facets == page.facets


def test_story_versions_maps_every_version_to_its_whole_story() -> None:
    versions = story_versions((("a", "r"), ("b", "c", "d")))
    assert versions["r"] == ("a", "r") and versions["d"] == ("b", "c", "d") and "x" not in versions
