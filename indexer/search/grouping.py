"""Results by story: ranked passages folded into one result per article, then per story, a page of them, and facets.

A news article is usually cut into several passages, and a query that matches it well matches
several of them: listed as passages, one article fills the page. Grouped, each article appears
once, at the rank of its best passage, with its other matching passages kept for the reader to
expand. Versions of one story (a translation, a repost) are folded the same way: the story
appears once, at the rank of its best version, shown in the query's language when that version
matched too, with its other versions named beside it. Facets count the results (stories) per
year and per language, for narrowing the query.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from indexer.models import Hit

# How many ranked passages a search folds for its pages, total and facets: the retriever's own
# candidate depth (FusionConfig.depth). Asking deeper makes the dense side search and rescore
# more candidates: 200 cost 3-5x the retrieval time of a 10-passage search at archive scale
# (2,366 passages), 100 about 1.2x.
GROUP_DEPTH = 100
UNDATED = "undated"
UNKNOWN_LANGUAGE = "unknown"


# Article id -> every version of its story (itself included, by id); an article absent is alone.
Versions = Mapping[str, tuple[str, ...]]
NO_VERSIONS: Versions = {}


@dataclass(frozen=True, slots=True)
class ArticleGroup:
    """One article's matching passages in rank order; ``hits[0]`` is its best and gives its rank.

    ``also_in``: the other versions of the article's story, by id (matching or not), so a
    reader is one click from each; empty for an article that is a story of its own.
    """

    rank: int
    hits: tuple[Hit, ...]
    also_in: tuple[str, ...] = ()

    @property
    def best(self) -> Hit:
        return self.hits[0]

    @property
    def more(self) -> tuple[Hit, ...]:
        return self.hits[1:]


@dataclass(frozen=True, slots=True)
class Facets:
    """Articles per year (``undated`` for those without a date) and per language, most first."""

    years: tuple[tuple[str, int], ...]
    langs: tuple[tuple[str, int], ...]


@dataclass(frozen=True, slots=True)
class ArticlePage:
    """The groups from ``offset`` on (at most the requested number), out of ``total`` groups."""

    groups: tuple[ArticleGroup, ...]
    offset: int
    total: int
    facets: Facets

    @property
    def next_offset(self) -> int | None:
        following = self.offset + len(self.groups)
        return following if following < self.total else None


def group_by_article(hits: Sequence[Hit]) -> list[ArticleGroup]:
    """``hits`` (in rank order) folded by article, ordered by each article's best hit; ranks from 1."""
    by_article: dict[str, list[Hit]] = {}
    for hit in sorted(hits, key=lambda h: h.rank):
        by_article.setdefault(hit.passage.article_id, []).append(hit)
    # dicts keep insertion order: articles come in the order of their first (best) hit.
    return [ArticleGroup(rank=rank, hits=tuple(group)) for rank, group in enumerate(by_article.values(), start=1)]


def group_by_story(
    hits: Sequence[Hit], versions: Versions = NO_VERSIONS, *, lang: str | None = None
) -> list[ArticleGroup]:
    """``hits`` folded by article, then by story: one group per story, at its best version's rank.

    The version shown is the best-ranked one in ``lang`` (the query's language) when one matched,
    else the best-ranked version; the others are its ``also_in``. Without versions this is
    ``group_by_article``.
    """
    articles = group_by_article(hits)
    if not versions:
        return articles
    by_story: dict[str, list[ArticleGroup]] = {}
    for group in articles:
        article_id = group.best.passage.article_id
        by_story.setdefault(versions.get(article_id, (article_id,))[0], []).append(group)
    folded = []
    # Stories come in the order of their best version's rank (dicts keep insertion order).
    for rank, told in enumerate(by_story.values(), start=1):
        shown = next((g for g in told if lang is not None and g.best.passage.lang == lang), told[0])
        article_id = shown.best.passage.article_id
        others = tuple(v for v in versions.get(article_id, ()) if v != article_id)
        folded.append(replace(shown, rank=rank, also_in=others))
    return folded


def story_versions(groups: Sequence[Sequence[str]]) -> dict[str, tuple[str, ...]]:
    """Article id -> its story's versions, for every article of ``groups`` (``StoryMap.groups()``), computed once."""
    return {article_id: tuple(group) for group in groups for article_id in group}


def _year(hit: Hit) -> str:
    date = hit.passage.date
    return date[:4] if date else UNDATED


def facet_counts(groups: Sequence[ArticleGroup]) -> Facets:
    """Results (articles, or stories once folded) per year and per language; ties broken by the value."""
    years = Counter(_year(group.best) for group in groups)
    langs = Counter(group.best.passage.lang or UNKNOWN_LANGUAGE for group in groups)
    # Years newest first, as a news archive reads (undated last); languages by count.
    undated = years.pop(UNDATED, 0)
    year_order = sorted(years.items(), reverse=True) + ([(UNDATED, undated)] if undated else [])
    lang_order = sorted(langs.items(), key=lambda item: (-item[1], item[0]))
    return Facets(years=tuple(year_order), langs=tuple(lang_order))


def article_page(
    hits: Sequence[Hit], *, offset: int, limit: int, versions: Versions = NO_VERSIONS, lang: str | None = None
) -> ArticlePage:
    """``limit`` groups of ``hits`` from ``offset`` on, stories folded (``group_by_story``), and all facets."""
    groups = group_by_story(hits, versions, lang=lang)
    return ArticlePage(
        groups=tuple(groups[offset : offset + limit]),
        offset=offset,
        total=len(groups),
        facets=facet_counts(groups),
    )
