"""Page extraction: an HTML news page -> title, publication date, main text and language.

trafilatura finds the main text (site chrome such as navigation, breadcrumbs, sidebars and
footers stays out); the date is the page's own date line when it has one, else the page's
metadata (JSON-LD, meta tags, ``<time>``) through htmldate. A sitemap ``lastmod`` or an HTTP
``Last-Modified`` is never used: they say when the page changed, not when the news was published.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import re
import unicodedata
import urllib.parse
from dataclasses import dataclass
from typing import Any

import htmldate
import lxml.html
import msgspec
import trafilatura
from trafilatura.utils import decode_file

from indexer.errors import ArticleReadError
from indexer.models import Article
from indexer.text.dates import line_date, search_date

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_\-]+)""", re.IGNORECASE)
_SPACES = re.compile(r"\s+")
_WORD = re.compile(r"[^\W\d_]{3}")
# Between a page's heading and the site's name in its <title>: "—", "|", "::", "-", "»", "·".
_SITE_AFTER = re.compile(r"\s+(?:[|—–\-»·•/]|::)\s+\S.*")
_SITE_BEFORE = re.compile(r".*\S\s+(?:[|—–\-»·•/]|::)\s+")
# JSON-LD types whose datePublished is the article's (NewsArticle, BlogPosting, Report, ...).
_ARTICLE_TYPES = re.compile(r"Article|Posting|Report", re.IGNORECASE)
# Meta tags that state the publication, most specific first (lower case; property, name or
# itemprop). A plain "date" comes late: some CMSs set it to the day the page was rendered.
_PUBLISHED_META = (
    "article:published_time", "og:article:published_time", "og:published_time", "datepublished",
    "article:published", "publish-date", "publish_date", "publishdate", "pubdate", "publication_date",
    "dc.date.issued", "dcterms.issued", "citation_publication_date", "parsely-pub-date", "sailthru.date",
    "dc.date", "dcterms.date", "dcterms.created", "date",
)  # fmt: skip
# Marks of a change rather than the publication: article:modified_time, og:updated_time, dateModified.
_CHANGE_META = re.compile(r"modif|updat|revis|edited|changed", re.IGNORECASE)
# Marks of the publication on a <time>: WordPress "entry-date published", "pubdate", "post-date".
_PUBLISHED_MARKS = re.compile(r"publish|entry-date|pubdate|post-date|article-date", re.IGNORECASE)
# Class, id and role tokens of blocks around the article whose dates are not the article's.
_CHROME_MARKS = re.compile(
    r"(?:^|\s)(?:sidebar\S*|\S*widget\S*|comments?|comment-\S+|\S*related\S*|recent\S*|"
    r"popular\S*|breadcrumbs?|nav|navbar|navigation|menu|aside|other-news|more-\S+|read-more\S*|"
    r"latest-news|news-list|complementary)(?=\s|$)",
    re.IGNORECASE,
)
# Footers and headers: chrome around the article, but the article's own hold its date.
_EDGE_MARKS = re.compile(
    r"(?:^|\s)(?:\S*footer\S*|site-header|page-header|header|masthead|banner|contentinfo)(?=\s|$)", re.I
)
# Classes of an article's container (microformats "hentry"/"h-entry", Bitrix "news-detail").
_ARTICLE_CLASSES = re.compile(r"(?:^|\s)(?:hentry|h-entry|news-detail)(?=\s|$)")
# A date in a url's path: WordPress and static blogs "/2023/06/01/slug", "/2023-06-01-slug".
_URL_DATE = re.compile(r"/((?:19|20)\d{2})[/-](\d{1,2})[/-](\d{1,2})(?=[/\-_.]|$)")
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


def date_line(text: str, *, labelled: bool = False) -> str | None:
    """The ISO date a line states as a publication date, or ``None`` (see ``line_date``)."""
    date = line_date(_clean(text), labelled=labelled)
    return date.isoformat() if date else None


def _iso(value: object) -> str | None:
    """The calendar date a metadata value starts with ("2023-06-01T10:00:00+03:00" -> 2023-06-01).

    The date is kept as the publisher wrote it, in its own time zone: converted to UTC, an
    evening article would move to the next day.
    """
    if not isinstance(value, str) or not value.strip():
        return None
    date = search_date(value.strip()[:40])
    return date.isoformat() if date else None


def _jsonld_objects(tree: lxml.html.HtmlElement) -> list[dict[str, Any]]:
    """Every JSON object of the page's JSON-LD blocks, ``@graph`` members included."""
    objects: list[dict[str, Any]] = []
    for script in tree.xpath("//script[@type='application/ld+json']"):
        try:
            data = msgspec.json.decode((script.text or "").strip().encode())
        except msgspec.DecodeError:
            continue
        stack = [data]
        while stack:
            item = stack.pop(0)
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                objects.append(item)
                graph = item.get("@graph")
                if isinstance(graph, list):
                    stack.extend(graph)
    return objects


def _jsonld_date(tree: lxml.html.HtmlElement) -> str | None:
    """``datePublished`` of the page's article object (NewsArticle, BlogPosting, ...), else of any."""
    dated = [obj for obj in _jsonld_objects(tree) if _iso(obj.get("datePublished"))]
    for obj in dated:
        kinds = obj.get("@type")
        names = " ".join(kinds) if isinstance(kinds, list) else str(kinds or "")
        if _ARTICLE_TYPES.search(names):
            return _iso(obj.get("datePublished"))
    return _iso(dated[0].get("datePublished")) if dated else None


def _meta_date(tree: lxml.html.HtmlElement) -> str | None:
    """The first publication meta tag, in the order of ``_PUBLISHED_META``."""
    found: dict[str, str] = {}
    for meta in tree.xpath("//meta[@content]"):
        for attribute in ("property", "name", "itemprop"):
            key = str(meta.get(attribute) or "").strip().lower()
            if key in _PUBLISHED_META and key not in found:
                iso = _iso(meta.get("content"))
                if iso:
                    found[key] = iso
    for key in _PUBLISHED_META:
        if key in found:
            return found[key]
    return None


def _is_article(element: lxml.html.HtmlElement) -> bool:
    """The article's own markup: ``<article>``, schema.org Article/BlogPosting, ``hentry``."""
    if element.tag == "article" or _ARTICLE_TYPES.search(element.get("itemtype") or ""):
        return True
    return bool(_ARTICLE_CLASSES.search(element.get("class") or ""))


def _in_article(element: lxml.html.HtmlElement) -> bool:
    return any(_is_article(ancestor) for ancestor in element.iterancestors())


def _article_of(heading: lxml.html.HtmlElement | None) -> lxml.html.HtmlElement | None:
    """The article container around the page's heading, if its markup has one."""
    if heading is None:
        return None
    return next((ancestor for ancestor in heading.iterancestors() if _is_article(ancestor)), None)


def _outside_chrome(element: lxml.html.HtmlElement, main: lxml.html.HtmlElement | None = None) -> bool:
    """Not in a sidebar, footer, site header, navigation, comment or related-news block.

    An article's own footer or header (WordPress ``entry-footer``, Blogger ``post-footer``)
    holds its date, so those two count as chrome only outside the article. Only blocks inside
    ``main`` (the heading's article) count for what is in it: Blogger wraps its posts in a "widget".
    """
    for ancestor in element.iterancestors():
        if main is not None and ancestor is main:
            return True
        # The body's classes describe the whole page ("has-sidebar", "comments-open").
        if ancestor.tag in ("body", "html"):
            break
        marks = f"{ancestor.get('class') or ''} {ancestor.get('id') or ''} {ancestor.get('role') or ''}"
        if ancestor.tag in ("aside", "nav") or _CHROME_MARKS.search(marks):
            return False
        if (ancestor.tag in ("footer", "header") or _EDGE_MARKS.search(marks)) and not _in_article(ancestor):
            return False
    return True


def _itemprop_date(tree: lxml.html.HtmlElement, main: lxml.html.HtmlElement | None) -> str | None:
    """``itemprop="datePublished"`` on an element of the page (microdata), outside the chrome."""
    for element in tree.xpath("//body//*[@itemprop='datePublished']"):
        if not _outside_chrome(element, main):
            continue
        # Blogger writes the timestamp in an <abbr title="...">.
        value = element.get("datetime") or element.get("content") or element.get("title")
        iso = _iso(value) or _iso(_text(element))
        if iso:
            return iso
    return None


def _stripped_head(tree: lxml.html.HtmlElement) -> str | None:
    """The ``<head>`` without tags that state a change ("article:modified_time", "og:updated_time").

    htmldate falls back to such a tag when no publication tag is there, and a change is not
    the publication.
    """
    heads = tree.xpath("//head")
    if not heads:
        return None
    head = copy.deepcopy(heads[0])
    for meta in head.xpath(".//meta"):
        keys = " ".join(str(meta.get(a) or "") for a in ("property", "name", "itemprop", "http-equiv"))
        if _CHANGE_META.search(keys):
            meta.drop_tree()
    return str(lxml.html.tostring(head, encoding="unicode"))


def _htmldate_head(tree: lxml.html.HtmlElement) -> str | None:
    """Other date meta tags htmldate knows (``DC.date``, ``pubdate`` variants), read from the head only.

    On the whole page htmldate also reads dated elements, and a sidebar's "other news" dates
    would then pass for the article's.
    """
    head = _stripped_head(tree)
    if head is None:
        return None
    found = htmldate.find_date(f"<html>{head}<body></body></html>", original_date=True, extensive_search=False)
    return str(found) if found else None


def _text(element: lxml.html.HtmlElement) -> str:
    """An element's text with a space between its parts, so inline items stay apart."""
    return _clean(" ".join(element.itertext()))


def _heading_title(tree: lxml.html.HtmlElement, title: str) -> str:
    """The page's heading when the title is that heading plus the site's name or a breadcrumb.

    "Choir tour to Tallinn — University Chamber Choir", "Кафедра :: Новости :: Защита диссертации":
    the heading is what the article is called; the rest names the site, not the news.
    """
    for tag in ("h1", "h2"):
        for element in tree.iter(tag):
            heading = _text(element)
            if not heading or heading == title or heading not in title or not _outside_chrome(element):
                continue
            if title.startswith(heading) and _SITE_AFTER.fullmatch(title[len(heading) :]):
                return heading
            if title.endswith(heading) and _SITE_BEFORE.fullmatch(title[: -len(heading)]):
                return heading
    return title


def _heading(tree: lxml.html.HtmlElement, title: str) -> lxml.html.HtmlElement | None:
    """The article's heading: the ``h1`` (else ``h2``, ``h3``) that reads as the title, else the first ``h1``."""
    wanted = title.casefold()
    for tag in ("h1", "h2", "h3"):
        for element in tree.iter(tag):
            text = _text(element).casefold()
            # Titles often carry the site's name ("Heading | Site"), headings a trailing label.
            reads_as_title = wanted in text or (text in wanted and 2 * len(text) > len(wanted))
            if text and wanted and reads_as_title and _outside_chrome(element, _article_of(element)):
                return element
    return next(iter(tree.iter("h1")), None)


def _time_date(tree: lxml.html.HtmlElement, heading: lxml.html.HtmlElement | None) -> str | None:
    """The article's ``<time>``: one marked as the publication, else the first after the heading.

    Times in the chrome (sidebars, footers, comments, related news) and times marked as a
    change (``class="updated"``, ``itemprop="dateModified"``) are passed over.
    """
    times = []
    for element in tree.iter("time"):
        marks = f"{element.get('class') or ''} {element.get('itemprop') or ''} {element.get('id') or ''}"
        if _CHANGE_META.search(marks) or not _outside_chrome(element, _article_of(heading)):
            continue
        iso = _iso(element.get("datetime")) or date_line(_text(element))
        if iso:
            times.append((element, iso, marks))
    for element, iso, marks in times:
        if element.get("pubdate") is not None or _PUBLISHED_MARKS.search(marks):
            return iso
    if heading is None:
        return times[0][1] if times else None
    order = {element: index for index, element in enumerate(tree.iter())}
    after = [iso for element, iso, _ in times if order[element] > order[heading]]
    return after[0] if after else None


def _heading_date(heading: lxml.html.HtmlElement | None) -> str | None:
    """A date line right beside the page's heading, where news sites print it outside the text."""
    if heading is None:
        return None
    near: list[lxml.html.HtmlElement] = []
    near.extend(list(heading.itersiblings())[:3])
    near.extend(list(heading.itersiblings(preceding=True))[:1])
    parent = heading.getparent()
    if parent is not None and parent.tag not in ("body", "html"):
        near.extend(list(parent.itersiblings())[:2])
        near.extend(list(parent.itersiblings(preceding=True))[:1])
    main = _article_of(heading)
    for element in near:
        found = _date_in(element, main, depth=2)
        if found:
            return found
    return None


def _date_in(element: lxml.html.HtmlElement, main: lxml.html.HtmlElement | None, *, depth: int) -> str | None:
    """A date line that is ``element`` or one of its first few blocks ("news-detail" opens with
    its date: ``<div class="news-detail"><span class="news-date-time">05.10.2020</span><p>...``)."""
    if not isinstance(element.tag, str) or element.tag in ("script", "style") or not _outside_chrome(element, main):
        return None
    found = date_line(_text(element))
    if found or depth == 0:
        return found
    for child in list(element.iterchildren())[:3]:
        found = _date_in(child, main, depth=depth - 1)
        if found:
            return found
    return None


def _url_date(*urls: str | None) -> str | None:
    """The date in a url's path: ``/2023/06/01/slug`` or ``/2023-06-01-slug``."""
    for url in urls:
        if not url:
            continue
        match = _URL_DATE.search(urllib.parse.urlsplit(url).path)
        if match is not None:
            try:
                return dt.date(*(int(part) for part in match.groups())).isoformat()
            except ValueError:
                continue
    return None


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


def _publication_date(
    tree: lxml.html.HtmlElement, title: str, lines: list[str], url: str | None, canonical: str | None
) -> tuple[str | None, str | None]:
    """The publication date and where it was read, trying the signals in order (docs/sync.md).

    1. ``metadata``: what the page states as its publication (JSON-LD ``datePublished`` of its
       article, ``article:published_time`` and kin, ``itemprop="datePublished"``);
    2. ``time``: the article's ``<time>`` (marked as the publication, else the first after the heading);
    3. ``date-line``: a date line beside the heading or among the first lines of the text, then a
       labelled one ("Дата публикации: ...") among its last lines;
    4. ``url``: the date in the url's path;
    5. ``metadata``: any other date meta tag htmldate knows, from the head only.

    The date line is taken out of ``lines`` whichever signal wins: it is not article text.
    Sidebars, footers, comments and related-news lists are never read, nor a date labelled
    as a change ("last updated", "Обновлено", ``article:modified_time``).
    """
    top = list(range(min(_EDGE_LINES, len(lines))))
    bottom = [i for i in range(max(0, len(lines) - _EDGE_LINES), len(lines)) if i not in top]
    text_date: str | None = None
    for index in top + bottom:
        found = date_line(lines[index], labelled=index not in top)
        if found:
            text_date = found
            del lines[index]
            break
    heading = _heading(tree, title)
    signals: tuple[tuple[str, Any], ...] = (
        ("metadata", lambda: _jsonld_date(tree) or _meta_date(tree) or _itemprop_date(tree, _article_of(heading))),
        ("time", lambda: _time_date(tree, heading)),
        ("date-line", lambda: _heading_date(heading) or text_date),
        ("url", lambda: _url_date(url, canonical)),
        ("metadata", lambda: _htmldate_head(tree)),
    )
    for source, read in signals:
        found = read()
        if found:
            return found, source
    return None, None


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
    title = _heading_title(tree, _clean(str(document.title or "")))
    lines = [_clean(line) for line in str(document.text).split("\n")]
    lines = [line for line in lines if line]
    # The heading repeated in the text, with a section label or kicker printed above it.
    for index, line in enumerate(lines[:_EDGE_LINES]):
        if title and line == title:
            lines = lines[index + 1 :]
            break
    if not title and lines:
        title, lines = lines[0], lines[1:]
    date, date_source = _publication_date(tree, title, lines, url, getattr(document, "url", None))
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
