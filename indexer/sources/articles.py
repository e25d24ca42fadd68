"""Reading news articles from text files: title, publication date and a clean body."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path

from indexer.errors import ArticleReadError
from indexer.models import Article
from indexer.text.dates import month_number

log = logging.getLogger(__name__)

ARTICLE_SUFFIXES = frozenset({".txt", ".md"})

# "1 June 2023 International activities 542": date, news category, view counter; Russian
# pages write "17 июля 2025 Международная деятельность 312" or "3 июня 2024 г. ...".
_HEADER_DATE = re.compile(r"^(\d{1,2}) ([^\W\d_]+) (\d{4})(?:\s*г\.)?(?=\s|$)")
# "Дата публикации: 2020.10.05" ("publication date") in the footer of older pages.
_FOOTER_DATE = re.compile(r"^Дата публикации:\s*(\d{4})\.(\d{2})\.(\d{2})\s*$")
# Navigation left over from the site: "print version", "go to the news", "go to all news".
_BOILERPLATE = re.compile(r"^(print version|>>\s*перейти к новости|>>\s*перейти ко всем новостям)$", re.IGNORECASE)
_HEADING_MARK = re.compile(r"^#{1,6}\s+")
# The site sets no-break spaces for typography ("in\u00a0Shanghai"); they mean nothing to a
# reader but would break exact-text matching of quotes, answers and highlights.
_TYPOGRAPHIC_SPACES = str.maketrans({"\u00a0": " ", "\u2007": " ", "\u202f": " "})


def content_hash(raw: bytes) -> str:
    """Hash of the file bytes: an article is re-encoded exactly when this changes."""
    return hashlib.sha256(raw).hexdigest()


def _header_date(line: str) -> str | None:
    match = _HEADER_DATE.match(line)
    if match is None:
        return None
    day, month_name, year = match.groups()
    month = month_number(month_name)
    if month is None:
        return None
    try:
        return dt.date(int(year), month, int(day)).isoformat()
    except ValueError:
        return None


def _footer_date(line: str) -> str | None:
    match = _FOOTER_DATE.match(line)
    if match is None:
        return None
    try:
        return dt.date(*(int(part) for part in match.groups())).isoformat()
    except ValueError:
        return None


def parse_article(article_id: str, text: str, *, source: str, digest: str) -> Article:
    """Split a page into title, date and body paragraphs, dropping site boilerplate."""
    text = unicodedata.normalize("NFC", text).translate(_TYPOGRAPHIC_SPACES)
    lines = [line.strip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    content = [line for line in lines if line]
    if not content:
        raise ArticleReadError(f"{source}: article is empty")
    title = _HEADING_MARK.sub("", content[0]).strip()
    date: str | None = None
    date_source: str | None = None
    paragraphs: list[str] = []
    for index, line in enumerate(content[1:]):
        # Only the line right under the title is a dated header; later lines starting
        # with a date ("1 June 2023 the delegation...") are ordinary text.
        header = _header_date(line) if index == 0 else None
        footer = _footer_date(line)
        if header is not None or footer is not None:
            if date is None:
                date, date_source = (header, "header") if header is not None else (footer, "footer")
            continue
        if _BOILERPLATE.match(line):
            continue
        paragraphs.append(line)
    body = "\n\n".join(paragraphs)
    if not body:
        raise ArticleReadError(f"{source}: article has a title but no body")
    return Article(
        id=article_id, title=title, date=date, body=body, source=source, content_hash=digest, date_source=date_source
    )


def read_article(path: Path) -> Article:
    """Read one article file; raise ``ArticleReadError`` naming the file when it is unusable."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ArticleReadError(f"{path}: cannot read file ({exc.strerror or exc})") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ArticleReadError(f"{path}: not valid UTF-8 (byte {exc.start})") from exc
    return parse_article(path.stem, text, source=path.name, digest=content_hash(raw))


def iter_article_paths(seeds_dir: Path) -> list[Path]:
    """Article files in a directory, sorted by name so builds are deterministic."""
    return sorted(path for path in seeds_dir.iterdir() if path.suffix.lower() in ARTICLE_SUFFIXES and path.is_file())


def read_articles(seeds_dir: Path) -> Iterator[Article]:
    """Yield every readable article in ``seeds_dir``; unusable files are logged and skipped."""
    seen: dict[str, str] = {}
    for path in iter_article_paths(seeds_dir):
        if path.stem in seen:
            log.warning("article_skipped", extra={"file": path.name, "reason": f"duplicate id of {seen[path.stem]}"})
            continue
        try:
            article = read_article(path)
        except ArticleReadError as exc:
            log.warning("article_skipped", extra={"file": path.name, "reason": str(exc)})
            continue
        seen[path.stem] = path.name
        yield article
