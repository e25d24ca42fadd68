"""Results by article: ranked passages folded into one result per article, a page of them, and facets.

A news article is usually cut into several passages, and a query that matches it well matches
several of them: listed as passages, one article fills the page. Grouped, each article appears
once, at the rank of its best passage, with its other matching passages kept for the reader to
expand. Facets count the grouped articles per year and per language, for narrowing the query.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from indexer.models import Hit

# How many ranked passages a grouped search folds: the articles and facet counts a query has
# are those among its first GROUP_DEPTH passages (the retriever's own candidate depth is 100).
GROUP_DEPTH = 200
UNDATED = "undated"
UNKNOWN_LANGUAGE = "unknown"


@dataclass(frozen=True, slots=True)
class ArticleGroup:
    """One article's matching passages in rank order; ``hits[0]`` is its best and gives its rank."""

    rank: int
    hits: tuple[Hit, ...]

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


def _year(hit: Hit) -> str:
    date = hit.passage.date
    return date[:4] if date else UNDATED


def facet_counts(groups: Sequence[ArticleGroup]) -> Facets:
    """Articles per year and per language; ties broken by the value, so the order is stable."""
    years = Counter(_year(group.best) for group in groups)
    langs = Counter(group.best.passage.lang or UNKNOWN_LANGUAGE for group in groups)
    # Years newest first, as a news archive reads (undated last); languages by count.
    undated = years.pop(UNDATED, 0)
    year_order = sorted(years.items(), reverse=True) + ([(UNDATED, undated)] if undated else [])
    lang_order = sorted(langs.items(), key=lambda item: (-item[1], item[0]))
    return Facets(years=tuple(year_order), langs=tuple(lang_order))


def article_page(hits: Sequence[Hit], *, offset: int, limit: int) -> ArticlePage:
    """``limit`` groups of ``hits`` from ``offset`` on, with the facets of every group."""
    groups = group_by_article(hits)
    return ArticlePage(
        groups=tuple(groups[offset : offset + limit]),
        offset=offset,
        total=len(groups),
        facets=facet_counts(groups),
    )
