"""What sources declare: pages that name each other as alternates, export lines with one story key."""

from __future__ import annotations

from collections.abc import Sequence

from indexer.models import Article
from indexer.sources.listing import normalize_url


def alternate_links(articles: Sequence[Article]) -> list[tuple[str, str]]:
    """Pairs of articles where one declares the other's url as an alternate (either direction suffices).

    A declared url that no article of the index has is ignored: the other version is not here.
    """
    by_url: dict[str, list[str]] = {}
    for article in articles:
        if article.url:
            by_url.setdefault(normalize_url(article.url), []).append(article.id)
    pairs: list[tuple[str, str]] = []
    for article in articles:
        for url in article.alternates:
            pairs.extend((article.id, other) for other in by_url.get(normalize_url(url), ()) if other != article.id)
    return sorted({(min(a, b), max(a, b)) for a, b in pairs})


def story_keys(articles: Sequence[Article]) -> list[tuple[str, ...]]:
    """The articles of each declared story key (an export's ``story``), one group per key."""
    by_key: dict[str, list[str]] = {}
    for article in articles:
        if article.story is not None:
            by_key.setdefault(article.story, []).append(article.id)
    return [tuple(sorted(ids)) for _, ids in sorted(by_key.items()) if len(ids) > 1]
