"""RSS and Atom feeds: the pages their entries link to (a feed's summaries are not articles)."""

from __future__ import annotations

import feedparser

from indexer.errors import SourceError
from indexer.sources.listing import PageRef, normalize_url


def looks_like_feed(content: bytes) -> bool:
    head = content[:2048].lstrip().lower()
    return b"<rss" in head or b"<feed" in head or b"<rdf:rdf" in head


def feed_pages(content: bytes, *, url: str) -> list[PageRef]:
    """Entry links of a feed, in feed order, each once; ``SourceError`` when it is not a feed."""
    parsed = feedparser.parse(content)
    if parsed.get("bozo") and not parsed.entries:
        raise SourceError(f"{url}: not a readable RSS or Atom feed ({parsed.get('bozo_exception')})")
    if not parsed.get("version") and not parsed.entries:
        raise SourceError(f"{url}: not an RSS or Atom feed")
    pages: dict[str, PageRef] = {}
    for entry in parsed.entries:
        link = entry.get("link")
        if not link:
            links = [item.get("href") for item in entry.get("links", []) if item.get("rel", "alternate") == "alternate"]
            link = next((item for item in links if item), None)
        if link and str(link).startswith(("http://", "https://")):
            ref = PageRef(url=normalize_url(str(link)))
            pages.setdefault(ref.url, ref)
    return list(pages.values())
