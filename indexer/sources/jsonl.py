"""A JSONL export source: one article per line (``id``, ``title``, ``date``, ``body`` or ``html``, ...)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import msgspec

from indexer.errors import ArticleReadError, SourceError
from indexer.models import Article
from indexer.sources.listing import Listing, clean_body, normalize_url
from indexer.sources.pages import declared_fields, declared_urls, extract_page, extracted_hash
from indexer.text.dates import parse_date

log = logging.getLogger(__name__)


class ExportLine(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=False):
    """One line of an export; ``deleted: true`` removes ``id`` from the index; lines with one
    ``story`` key are versions of one story (a translation, a repost)."""

    id: str
    title: str | None = None
    date: str | None = None
    body: str | None = None
    html: str | None = None
    url: str | None = None
    lang: str | None = None
    story: str | None = None
    deleted: bool = False


def _check_id(value: str) -> str:
    value = value.strip()
    if not value or "#" in value or "/" in value or len(value) > 200:
        raise ArticleReadError(f"id {value!r} must be 1 to 200 characters without '#' or '/'")
    return value


def export_article(line: ExportLine, *, source: str) -> Article:
    """The article a line describes; a given title or date beats what its ``html`` says."""
    article_id = _check_id(line.id)
    date = parse_date(line.date) if line.date else None
    if line.date and date is None:
        raise ArticleReadError(f"{article_id}: date {line.date!r} is not a date")
    date_text = date.isoformat() if date else None
    date_source = "export" if date_text else None
    title, lang = (line.title or "").strip(), line.lang
    story = line.story.strip() if line.story is not None and line.story.strip() else None
    alternates: tuple[str, ...] = ()
    if line.html is not None:
        page = extract_page(line.html.encode("utf-8"), url=line.url, charset="utf-8")
        title = title or page.title
        body = page.body
        lang = lang or page.lang
        own = normalize_url(line.url) if line.url else None
        alternates = tuple(u for u in declared_urls(page.alternates) if u != own)
        if date_text is None and page.date is not None:
            date_text, date_source = page.date, page.date_source
    elif line.body is not None:
        body = clean_body(line.body)
    else:
        raise ArticleReadError(f"{article_id}: has neither body nor html")
    if not title or not body:
        raise ArticleReadError(f"{article_id}: needs a title and a body")
    return Article(
        id=article_id,
        title=title,
        date=date_text,
        body=body,
        source=f"{source}:{article_id}",
        content_hash=extracted_hash(
            title, date_text, body, line.url, lang, date_source, *declared_fields(alternates, story)
        ),
        url=line.url,
        lang=lang,
        date_source=date_source,
        alternates=alternates,
        story=story,
    )


def list_jsonl(path: Path, *, source: str) -> Listing:
    """Every article of an export; a bad line is skipped (and makes the listing partial)."""
    try:
        raw_lines = path.read_bytes().splitlines()
    except OSError as exc:
        raise SourceError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    listing = Listing(source=source)
    decoder = msgspec.json.Decoder(ExportLine)
    seen: set[str] = set()
    for number, raw in enumerate(raw_lines, start=1):
        if not raw.strip():
            continue
        try:
            line = decoder.decode(raw)
            if line.deleted:
                listing.deleted.append(_check_id(line.id))
                continue
            article = export_article(line, source=path.name)
        except (msgspec.DecodeError, msgspec.ValidationError, ArticleReadError) as exc:
            reason: Any = str(exc)
            log.warning("export_line_skipped", extra={"file": path.name, "line": number, "reason": reason})
            listing.complete = False
            continue
        if article.id in seen:
            log.warning("export_line_skipped", extra={"file": path.name, "line": number, "reason": "duplicate id"})
            continue
        seen.add(article.id)
        listing.articles.append(article)
    return listing
