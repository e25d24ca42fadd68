"""A folder source: ``.txt``/``.md`` articles in the house format, plus saved ``.html`` pages."""

from __future__ import annotations

import logging
from pathlib import Path

from indexer.errors import ArticleReadError, SourceError
from indexer.models import Article
from indexer.sources.articles import read_article
from indexer.sources.listing import Listing
from indexer.sources.pages import page_article

log = logging.getLogger(__name__)

SUFFIXES = frozenset({".txt", ".md", ".html", ".htm"})


def read_html_article(path: Path) -> Article:
    """A saved page as an article: id = file stem, url = the page's canonical link when it has one."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ArticleReadError(f"{path}: cannot read file ({exc.strerror or exc})") from exc
    return page_article(raw, article_id=path.stem, source=path.name)


def list_folder(folder: Path, *, source: str) -> Listing:
    """Every readable article of ``folder``; complete unless a file could not be read."""
    if not folder.is_dir():
        raise SourceError(f"{folder} is not a directory")
    listing = Listing(source=source)
    seen: dict[str, str] = {}
    try:
        paths = sorted(p for p in folder.iterdir() if p.suffix.lower() in SUFFIXES and p.is_file())
    except OSError as exc:
        raise SourceError(f"{folder}: cannot list ({exc.strerror or exc})") from exc
    for path in paths:
        if path.stem in seen:
            log.warning("article_skipped", extra={"file": path.name, "reason": f"duplicate id of {seen[path.stem]}"})
            continue
        try:
            html = path.suffix.lower() in (".html", ".htm")
            article = read_html_article(path) if html else read_article(path)
        except ArticleReadError as exc:
            log.warning("article_skipped", extra={"file": path.name, "reason": str(exc)})
            # An unreadable file may be a half-written one: do not read its absence as a deletion.
            listing.complete = False
            continue
        seen[path.stem] = path.name
        listing.articles.append(article)
    return listing
