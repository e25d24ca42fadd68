"""Turning a ``--source`` argument into a source: a folder, a ``.jsonl`` export or a web URL.

A URL is recognised by what it serves: a sitemap (or sitemap index), an RSS/Atom feed, or a
site's pages, in which case the sitemaps its robots.txt names are read.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from indexer.errors import FetchError, SourceError
from indexer.sources.feed import feed_pages, looks_like_feed
from indexer.sources.fetching import PoliteFetcher, host_of
from indexer.sources.folder import list_folder
from indexer.sources.jsonl import list_jsonl
from indexer.sources.listing import Listing
from indexer.sources.sitemap import SitemapTree, list_sitemap, sitemap_kind

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Source:
    """One ``--source``: ``name`` is how state remembers it (a resolved path or the URL)."""

    name: str
    kind: str  # "folder", "jsonl" or "url"

    @property
    def is_web(self) -> bool:
        return self.kind == "url"

    @property
    def host(self) -> str | None:
        return host_of(self.name) if self.is_web else None

    def list(self, fetcher: PoliteFetcher) -> Listing:
        if self.kind == "folder":
            return list_folder(Path(self.name), source=self.name)
        if self.kind == "jsonl":
            return list_jsonl(Path(self.name), source=self.name)
        return list_url(self.name, fetcher)


def parse_source(spec: str) -> Source:
    """Recognise a ``--source`` argument; ``SourceError`` with one clear line when it is neither."""
    text = spec.strip()
    parts = urlsplit(text)
    if parts.scheme in ("http", "https"):
        if not parts.netloc:
            raise SourceError(f"{spec}: a URL needs a host")
        return Source(name=text, kind="url")
    if parts.scheme and len(parts.scheme) > 1:
        raise SourceError(f"{spec}: only http and https URLs are supported")
    path = Path(text).expanduser()
    if path.is_dir():
        return Source(name=str(path.resolve()), kind="folder")
    if path.is_file() and path.suffix.lower() == ".jsonl":
        return Source(name=str(path.resolve()), kind="jsonl")
    if not path.exists():
        raise SourceError(f"{spec}: no such folder, .jsonl file or http(s) URL")
    raise SourceError(f"{spec}: not a folder, a .jsonl export or an http(s) URL")


def list_url(url: str, fetcher: PoliteFetcher) -> Listing:
    """List a web source by what it serves; a site root's robots.txt names its sitemaps."""
    parts = urlsplit(url)
    if parts.path in ("", "/") and not parts.query:
        return _list_site(url, fetcher)
    fetched = fetcher.get(url)
    if fetched.status != 200:
        raise FetchError(f"{url}: answered {fetched.status}")
    if sitemap_kind(fetched.content):
        return _tree_listing(url, list_sitemap(url, fetcher, content=fetched.content))
    if looks_like_feed(fetched.content):
        # A feed shows only its latest entries: what falls off it is not deleted.
        return Listing(source=url, pages=feed_pages(fetched.content, url=url), complete=False)
    if fetched.media_type in ("text/html", "application/xhtml+xml"):
        return _list_site(url, fetcher)
    raise SourceError(f"{url}: neither a sitemap, an RSS/Atom feed nor a site page ({fetched.media_type})")


def _list_site(url: str, fetcher: PoliteFetcher) -> Listing:
    sitemaps = [s for s in fetcher.robots(url).sitemaps if fetcher.is_allowed_host(s)]
    if not sitemaps:
        raise SourceError(f"{url}: its robots.txt names no sitemap on this host; give a sitemap or feed URL")
    tree = SitemapTree()
    failures: list[str] = []
    for sitemap in sitemaps:
        try:
            child = list_sitemap(sitemap, fetcher)
        except SourceError as exc:
            failures.append(str(exc))
            tree.complete = False
            continue
        tree.complete = tree.complete and child.complete
        for key, page in child.pages.items():
            tree.pages.setdefault(key, page)
    if not tree.pages and not tree.complete:
        # The source failed as a whole: one error that says why, not a warning per sitemap as well.
        raise SourceError(f"{url}: none of its sitemaps could be read ({'; '.join(failures)})")
    for failure in failures:
        log.warning("sitemap_failed", extra={"url": url, "reason": failure})
    return _tree_listing(url, tree)


def _tree_listing(url: str, tree: SitemapTree) -> Listing:
    return Listing(source=url, pages=sorted(tree.pages.values(), key=lambda p: p.url), complete=tree.complete)
