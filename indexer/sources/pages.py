"""Page extraction: an HTML news page -> title, publication date, main text and language.

trafilatura finds the main text (site chrome such as navigation, breadcrumbs, sidebars and
footers stays out); the title is the page's heading when the ``<title>`` only adds the site's
name; the date comes from the signals of ``page_dates`` in their order.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

import lxml.html
import msgspec
import trafilatura
from trafilatura.utils import decode_file

from indexer.errors import ArticleReadError
from indexer.models import Article
from indexer.sources.page_dates import EDGE_LINES, publication_date
from indexer.sources.page_layout import clean_text, heading_title

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_\-]+)""", re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_]{3}")


@dataclass(frozen=True, slots=True)
class PageContent:
    """What a page says, without its chrome: paragraphs of ``body`` are separated by a blank line."""

    title: str
    date: str | None
    date_source: str | None
    body: str
    lang: str | None
    canonical_url: str | None


def decode_html(raw: bytes, *, charset: str | None = None) -> str:
    """Bytes of a page as text: the HTTP charset, then the page's own ``<meta charset>``, then detection."""
    for declared in (charset, _meta_charset(raw)):
        if declared:
            try:
                return raw.decode(declared)
            except (LookupError, UnicodeDecodeError):
                continue
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return decode_file(raw)


def _meta_charset(raw: bytes) -> str | None:
    match = _META_CHARSET.search(raw[:4096])
    return match.group(1).decode("ascii") if match else None


def _lang(tree: lxml.html.HtmlElement) -> str | None:
    """The language the page declares (``<html lang>``, Content-Language, og:locale), as a primary subtag."""
    values = [tree.get("lang"), tree.get("{http://www.w3.org/XML/1998/namespace}lang")]
    lower = "translate(@http-equiv,'CONTENT-LANGUAGE','content-language')"
    values += tree.xpath(f"//meta[{lower}='content-language']/@content")
    values += tree.xpath("//meta[@property='og:locale']/@content")
    for value in values:
        code = re.split(r"[-_,;\s]", str(value).strip(), maxsplit=1)[0].lower()
        if re.fullmatch(r"[a-z]{2,3}", code):
            return code
    return None


def extract_page(raw: bytes, *, url: str | None = None, charset: str | None = None) -> PageContent:
    """Extract one page; ``ArticleReadError`` when it holds no article text."""
    html = decode_html(raw, charset=charset)
    try:
        tree = lxml.html.document_fromstring(html)
    except (ValueError, lxml.etree.ParserError) as exc:
        raise ArticleReadError(f"{url or 'page'}: not an HTML page ({exc})") from exc
    # Tables off first: old sites lay whole pages out in tables, and with tables on the
    # sidebar cell comes out as text. Fall back to the default for pages whose text is a table.
    document: Any = None
    for include_tables in (False, True):
        document = trafilatura.bare_extraction(
            html, url=url, with_metadata=True, include_comments=False, include_tables=include_tables
        )
        if document is not None and getattr(document, "text", None):
            break
    if document is None or not getattr(document, "text", None):
        raise ArticleReadError(f"{url or 'page'}: no article text found")
    title = heading_title(tree, clean_text(str(document.title or "")))
    lines = [clean_text(line) for line in str(document.text).split("\n")]
    lines = [line for line in lines if line]
    # The heading repeated in the text, with a section label or kicker printed above it.
    for index, line in enumerate(lines[:EDGE_LINES]):
        if title and line == title:
            lines = lines[index + 1 :]
            break
    if not title and lines:
        title, lines = lines[0], lines[1:]
    date, date_source = publication_date(tree, title, lines, url, getattr(document, "url", None))
    # Counters under the heading ("1.2K 14": likes, comments) are no text.
    while lines and not _WORD.search(lines[0]):
        lines = lines[1:]
    body = "\n\n".join(lines)
    if not title or not body:
        raise ArticleReadError(f"{url or 'page'}: no article text found")
    canonical = getattr(document, "url", None)
    return PageContent(
        title=title,
        date=date,
        date_source=date_source,
        body=body,
        lang=_lang(tree),
        canonical_url=canonical if canonical and str(canonical).startswith(("http://", "https://")) else None,
    )


def page_article(
    raw: bytes, *, article_id: str, source: str, url: str | None = None, charset: str | None = None
) -> Article:
    """A page as an article; ``ArticleReadError`` when it holds no article text.

    ``url`` is where the page was fetched from; a saved page (no ``url``) links to its own
    canonical URL when it states one. Either way that link is part of the content hash.
    """
    page = extract_page(raw, url=url, charset=charset)
    link = url if url is not None else page.canonical_url
    return Article(
        id=article_id,
        title=page.title,
        date=page.date,
        body=page.body,
        source=source,
        content_hash=extracted_hash(page.title, page.date, page.body, link, page.lang, page.date_source),
        url=link,
        lang=page.lang,
        date_source=page.date_source,
    )


def extracted_hash(*fields: str | None) -> str:
    """Hash of what was extracted (title, date, text, ...), not of the bytes: a new footer is no change."""
    return hashlib.sha256(msgspec.json.encode(list(fields))).hexdigest()
