"""Page extraction: an HTML news page -> title, publication date, main text and language.

trafilatura finds the main text (site chrome such as navigation, breadcrumbs, sidebars and
footers stays out); the title is the page's heading when the ``<title>`` only adds the site's
name; the date comes from the signals of ``page_dates`` in their order.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

import lxml.html
import msgspec
import trafilatura
from trafilatura.utils import decode_file

from indexer.errors import ArticleReadError
from indexer.models import Article
from indexer.sources.listing import normalize_url
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
    # Other-language versions the page declares (``<link rel="alternate" hreflang>``), absolute.
    alternates: tuple[str, ...] = ()


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


def _alternates(tree: lxml.html.HtmlElement, base: str | None) -> tuple[str, ...]:
    """The absolute urls of ``<link rel="alternate" hreflang="..." href="...">``: the page's other versions.

    Only links with ``hreflang`` count: a bare ``rel="alternate"`` is usually a feed or a print view.
    A relative ``href`` without a base to resolve it against is dropped.
    """
    found = []
    for link in tree.xpath("//link[@hreflang][@href]"):
        rels = str(link.get("rel") or "").lower().split()
        href = urljoin(base or "", str(link.get("href")).strip())
        if "alternate" in rels and href.startswith(("http://", "https://")):
            found.append(href)
    return declared_urls(found)


def declared_urls(urls: Iterable[str]) -> tuple[str, ...]:
    """Declared urls normalised, without duplicates, sorted: one spelling, whatever order they came in."""
    return tuple(sorted({normalize_url(u) for u in urls if u.strip()}))


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
    canonical = canonical if canonical and str(canonical).startswith(("http://", "https://")) else None
    return PageContent(
        title=title,
        date=date,
        date_source=date_source,
        body=body,
        lang=_lang(tree),
        canonical_url=canonical,
        alternates=_alternates(tree, url or canonical),
    )


def page_article(
    raw: bytes,
    *,
    article_id: str,
    source: str,
    url: str | None = None,
    charset: str | None = None,
    alternates: Iterable[str] = (),
) -> Article:
    """A page as an article; ``ArticleReadError`` when it holds no article text.

    ``url`` is where the page was fetched from; a saved page (no ``url``) links to its own
    canonical URL when it states one. Either way that link is part of the content hash.
    ``alternates``: other versions declared elsewhere (the sitemap), added to the page's own.
    """
    page = extract_page(raw, url=url, charset=charset)
    link = url if url is not None else page.canonical_url
    own = {normalize_url(link)} if link else set()
    declared = tuple(u for u in declared_urls([*page.alternates, *alternates]) if u not in own)
    return Article(
        id=article_id,
        title=page.title,
        date=page.date,
        body=page.body,
        source=source,
        content_hash=extracted_hash(
            page.title, page.date, page.body, link, page.lang, page.date_source, *declared_fields(declared, None)
        ),
        url=link,
        lang=page.lang,
        date_source=page.date_source,
        alternates=declared,
    )


def declared_fields(alternates: tuple[str, ...], story: str | None) -> tuple[str, ...]:
    """What an article declares about its other versions, as extra hash fields: none when it declares
    nothing, so the hash of such an article is what it was before versions were recorded."""
    fields = []
    if alternates:
        fields.append("alternates:" + " ".join(alternates))
    if story is not None:
        fields.append("story:" + story)
    return tuple(fields)


def extracted_hash(*fields: str | None) -> str:
    """Hash of what was extracted (title, date, text, ...), not of the bytes: a new footer is no change."""
    return hashlib.sha256(msgspec.json.encode(list(fields))).hexdigest()
