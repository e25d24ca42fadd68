"""Page extraction: an HTML news page -> title, publication date, main text and language.

trafilatura finds the main text (site chrome such as navigation, breadcrumbs, sidebars and
footers stays out); the date is the page's own date line when it has one, else the page's
metadata (JSON-LD, meta tags, ``<time>``) through htmldate. A sitemap ``lastmod`` or an HTTP
``Last-Modified`` is never used: they say when the page changed, not when the news was published.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

import htmldate
import lxml.html
import msgspec
import trafilatura
from trafilatura.utils import decode_file

from indexer.errors import ArticleReadError
from indexer.models import Article
from indexer.text.dates import parse_date

# A short label before the date ("Дата публикации: 2020.10.05", "Published: 1 June 2023").
_LABELLED = re.compile(r"^([^\d:]{1,40}):\s*(.+)$")
# Labels that name a publication ("Published", "Date", "Дата публикации", "Опубликовано").
_PUBLISHED_LABEL = re.compile(r"publish|posted|date|публик|дата|размещ", re.IGNORECASE)
# Labels that name a change, not a publication: "last updated", "обновлено", "изменено".
_UPDATE_LABEL = re.compile(r"updat|modif|chang|обновл|измен|редакт", re.IGNORECASE)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_\-]+)""", re.IGNORECASE)
_SPACES = re.compile(r"\s+")
# Lines of the main text looked at for a date line: the site puts it under the title or at the end.
_EDGE_LINES = 3
_TYPOGRAPHIC_SPACES = str.maketrans({"\u00a0": " ", "\u2007": " ", "\u202f": " "})


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


def _clean(text: str) -> str:
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text).translate(_TYPOGRAPHIC_SPACES)).strip()


def date_line(text: str) -> str | None:
    """The ISO date a line states as a publication date, or ``None``: the date alone or after a label."""
    line = _clean(text)
    if len(line) > 60:
        return None
    date = parse_date(line)
    if date is None:
        labelled = _LABELLED.match(line)
        if labelled is None:
            return None
        label, value = labelled.groups()
        if not _PUBLISHED_LABEL.search(label) or _UPDATE_LABEL.search(label):
            return None
        date = parse_date(value)
    return date.isoformat() if date else None


def _heading_date(tree: lxml.html.HtmlElement) -> str | None:
    """A date line right beside the page's heading, where news sites print it outside the text."""
    for heading in tree.iter("h1"):
        near: list[lxml.html.HtmlElement] = []
        near.extend(list(heading.itersiblings())[:3])
        near.extend(list(heading.itersiblings(preceding=True))[:1])
        parent = heading.getparent()
        if parent is not None:
            near.extend(list(parent.itersiblings())[:2])
        for element in near:
            found = date_line(element.text_content())
            if found:
                return found
        return None
    return None


def _metadata_date(tree: lxml.html.HtmlElement, url: str | None) -> str | None:
    """The publication date the page's metadata states (meta tags, JSON-LD), read by htmldate.

    htmldate is shown only the ``<head>`` and the JSON-LD blocks: on the whole page it also reads
    dated elements, and a sidebar's "other news" dates would then pass for the article's.
    """
    parts = [lxml.html.tostring(head, encoding="unicode") for head in tree.xpath("//head")]
    parts += [
        lxml.html.tostring(s, encoding="unicode") for s in tree.xpath("//body//script[@type='application/ld+json']")
    ]
    if not parts:
        return None
    found = htmldate.find_date(
        f"<html>{''.join(parts)}<body></body></html>", original_date=True, extensive_search=False, url=url
    )
    return str(found) if found else None


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
    title = _clean(str(document.title or ""))
    lines = [_clean(line) for line in str(document.text).split("\n")]
    lines = [line for line in lines if line]
    if lines and title and lines[0] == title:
        lines = lines[1:]
    if not title and lines:
        title, lines = lines[0], lines[1:]
    date, date_source = None, None
    edges = list(range(min(_EDGE_LINES, len(lines)))) + list(range(max(0, len(lines) - _EDGE_LINES), len(lines)))
    for index in dict.fromkeys(edges):
        found = date_line(lines[index])
        if found:
            date, date_source = found, "date-line"
            del lines[index]
            break
    if date is None:
        date = _heading_date(tree)
        date_source = "date-line" if date else None
    if date is None:
        date = _metadata_date(tree, url)
        date_source = "metadata" if date else None
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
