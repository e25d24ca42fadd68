"""Where a page's publication date is read from: an ordered set of signals (docs/sync.md).

Published metadata, the article's ``<time>``, a date line beside the heading or at the text's
edges, the url, other head meta through htmldate. Dates in the chrome and dates labelled as a
change are never read. A sitemap ``lastmod`` or an HTTP ``Last-Modified`` is never used: they
say when the page changed, not when the news was published.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
import urllib.parse
from typing import Any

import htmldate
import lxml.html

from indexer.sources.page_layout import (
    ARTICLE_TYPES,
    article_of,
    clean_text,
    element_text,
    find_heading,
    outside_chrome,
)
from indexer.text.dates import line_date, search_date

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
# A date in a url's path: WordPress and static blogs "/2023/06/01/slug", "/2023-06-01-slug".
_URL_DATE = re.compile(r"/((?:19|20)\d{2})[/-](\d{1,2})[/-](\d{1,2})(?=[/\-_.]|$)")
# Lines of the main text looked at for a date line: the site puts it under the title or at the end.
EDGE_LINES = 3


def date_line(text: str, *, labelled: bool = False) -> str | None:
    """The ISO date a line states as a publication date, or ``None`` (see ``line_date``)."""
    date = line_date(clean_text(text), labelled=labelled)
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
            # Not strict: CMSs write raw line breaks inside JSON-LD strings (descriptions).
            data = json.loads(script.text or "", strict=False)
        except ValueError:
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
        if ARTICLE_TYPES.search(names):
            return _iso(obj.get("datePublished"))
    return _iso(dated[0].get("datePublished")) if dated else None


def _meta_date(tree: lxml.html.HtmlElement) -> str | None:
    """The first publication meta tag of the head, in the order of ``_PUBLISHED_META``.

    Meta tags in the body belong to microdata, which ``_itemprop_date`` reads outside the chrome.
    """
    found: dict[str, str] = {}
    for meta in tree.xpath("//head//meta[@content]"):
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


def _itemprop_date(tree: lxml.html.HtmlElement, main: lxml.html.HtmlElement | None) -> str | None:
    """``itemprop="datePublished"`` on an element of the page (microdata), outside the chrome."""
    for element in tree.xpath("//body//*[@itemprop='datePublished']"):
        if not outside_chrome(element, main):
            continue
        # Blogger writes the timestamp in an <abbr title="...">.
        value = element.get("datetime") or element.get("content") or element.get("title")
        iso = _iso(value) or _iso(element_text(element))
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


def _time_date(tree: lxml.html.HtmlElement, heading: lxml.html.HtmlElement | None) -> str | None:
    """The article's ``<time>``: one marked as the publication, else the first after the heading.

    Times in the chrome (sidebars, footers, comments, related news) and times marked as a
    change only (``class="updated"``, ``itemprop="dateModified"``) are passed over; WordPress
    marks an unchanged post's one date ``class="entry-date published updated"``.
    """
    main = article_of(heading)
    times = []
    for element in tree.iter("time"):
        marks = f"{element.get('class') or ''} {element.get('itemprop') or ''} {element.get('id') or ''}"
        changed = _CHANGE_META.search(marks) and not _PUBLISHED_MARKS.search(marks)
        if changed or not outside_chrome(element, main):
            continue
        iso = _iso(element.get("datetime")) or date_line(element_text(element))
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
    main = article_of(heading)
    for element in near:
        found = _date_in(element, main, depth=2)
        if found:
            return found
    return None


def _date_in(element: lxml.html.HtmlElement, main: lxml.html.HtmlElement | None, *, depth: int) -> str | None:
    """A date line that is ``element`` or one of its first few blocks ("news-detail" opens with
    its date: ``<div class="news-detail"><span class="news-date-time">05.10.2020</span><p>...``)."""
    if not isinstance(element.tag, str) or element.tag in ("script", "style") or not outside_chrome(element, main):
        return None
    found = date_line(element_text(element))
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


def publication_date(
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
    top = list(range(min(EDGE_LINES, len(lines))))
    bottom = [i for i in range(max(0, len(lines) - EDGE_LINES), len(lines)) if i not in top]
    text_date: str | None = None
    for index in top + bottom:
        found = date_line(lines[index], labelled=index not in top)
        if found:
            text_date = found
            del lines[index]
            break
    heading = find_heading(tree, title)
    signals: tuple[tuple[str, Any], ...] = (
        ("metadata", lambda: _jsonld_date(tree) or _meta_date(tree) or _itemprop_date(tree, article_of(heading))),
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
