"""Sitemaps and sitemap indexes: every page a site lists, with its ``lastmod``."""

from __future__ import annotations

import gzip
import logging
from dataclasses import dataclass, field

from lxml import etree

from indexer.errors import FetchError, SourceError
from indexer.sources.fetching import PoliteFetcher
from indexer.sources.listing import PageRef, normalize_url

log = logging.getLogger(__name__)

MAX_DEPTH = 3
# Sitemaps are untrusted XML: no entities, no network, no huge trees.
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=False)


@dataclass(slots=True)
class SitemapTree:
    """Pages listed by a sitemap and every child sitemap; ``complete`` when each of them was read."""

    pages: dict[str, PageRef] = field(default_factory=dict)
    complete: bool = True


def _local(tag: object) -> str:
    return str(tag).rsplit("}", 1)[-1].lower()


def sitemap_kind(content: bytes) -> str | None:
    """``urlset`` or ``sitemapindex`` when ``content`` is a sitemap, else ``None``."""
    try:
        root = etree.fromstring(_ungzip(content), _PARSER)
    except etree.XMLSyntaxError:
        return None
    kind = _local(root.tag)
    return kind if kind in ("urlset", "sitemapindex") else None


def _ungzip(content: bytes) -> bytes:
    return gzip.decompress(content) if content[:2] == b"\x1f\x8b" else content


def parse_sitemap(content: bytes, *, url: str) -> tuple[str, list[PageRef]]:
    """(kind, entries): page entries of a ``urlset`` or child sitemaps of a ``sitemapindex``."""
    try:
        root = etree.fromstring(_ungzip(content), _PARSER)
    except (etree.XMLSyntaxError, OSError) as exc:
        raise SourceError(f"{url}: not a readable sitemap ({exc})") from exc
    kind = _local(root.tag)
    if kind not in ("urlset", "sitemapindex"):
        raise SourceError(f"{url}: not a sitemap (root element {kind!r})")
    entries: list[PageRef] = []
    for item in root:
        fields = {_local(child.tag): (child.text or "").strip() for child in item}
        if fields.get("loc"):
            lastmod = fields.get("lastmod") or None
            entries.append(PageRef(url=fields["loc"], lastmod=lastmod, alternates=_alternates(item)))
    return kind, entries


def _alternates(item: etree._Element) -> tuple[str, ...]:
    """The absolute urls an entry's ``<xhtml:link rel="alternate" hreflang="..." href="...">`` declare."""
    urls = set()
    for child in item:
        if _local(child.tag) != "link" or child.get("hreflang") is None:
            continue
        href = (child.get("href") or "").strip()
        if "alternate" in (child.get("rel") or "").lower().split() and href.startswith(("http://", "https://")):
            urls.add(normalize_url(href))
    return tuple(sorted(urls))


def list_sitemap(url: str, fetcher: PoliteFetcher, *, content: bytes | None = None, depth: int = 0) -> SitemapTree:
    """Walk a sitemap (index) politely; a child that fails marks the tree incomplete, not failed."""
    tree = SitemapTree()
    if content is None:
        fetched = fetcher.get(url)
        if fetched.status != 200:
            raise FetchError(f"{url}: answered {fetched.status}")
        content = fetched.content
    kind, entries = parse_sitemap(content, url=url)
    if kind == "urlset":
        for entry in entries:
            page = PageRef(url=normalize_url(entry.url), lastmod=entry.lastmod, alternates=entry.alternates)
            if fetcher.is_allowed_host(page.url):
                tree.pages.setdefault(page.url, page)
            else:
                log.warning("page_off_site", extra={"url": page.url, "sitemap": url})
        return tree
    if depth >= MAX_DEPTH:
        raise SourceError(f"{url}: sitemap indexes nested deeper than {MAX_DEPTH}")
    for entry in entries:
        if not fetcher.is_allowed_host(entry.url):
            log.warning("sitemap_off_site", extra={"url": entry.url, "sitemap": url})
            continue
        try:
            child = list_sitemap(entry.url, fetcher, depth=depth + 1)
        except SourceError as exc:
            log.warning("sitemap_failed", extra={"url": entry.url, "reason": str(exc)})
            tree.complete = False
            continue
        tree.complete = tree.complete and child.complete
        for key, page in child.pages.items():
            tree.pages.setdefault(key, page)
    return tree
