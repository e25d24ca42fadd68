"""A news page's layout: its heading, the chrome around the article, and text as a reader sees it.

The chrome (sidebars, site headers and footers, navigation, comments, related-news lists) is
found by the tags and the class, id and role names that CMS templates give it; the article by
``<article>``, schema.org Article/BlogPosting microdata or its container's class.
"""

from __future__ import annotations

import re
import unicodedata

import lxml.html

_SPACES = re.compile(r"\s+")
# Between a page's heading and the site's name in its <title>: "—", "|", "::", "-", "»", "·".
_SITE_AFTER = re.compile(r"\s+(?:[|—–\-»·•/]|::)\s+\S.*")
_SITE_BEFORE = re.compile(r".*\S\s+(?:[|—–\-»·•/]|::)\s+")
# JSON-LD types whose datePublished is the article's (NewsArticle, BlogPosting, Report, ...).
ARTICLE_TYPES = re.compile(r"Article|Posting|Report", re.IGNORECASE)
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
_TYPOGRAPHIC_SPACES = str.maketrans({"\u00a0": " ", "\u2007": " ", "\u202f": " "})


def clean_text(text: str) -> str:
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text).translate(_TYPOGRAPHIC_SPACES)).strip()


def _is_article(element: lxml.html.HtmlElement) -> bool:
    """The article's own markup: ``<article>``, schema.org Article/BlogPosting, ``hentry``."""
    if element.tag == "article" or ARTICLE_TYPES.search(element.get("itemtype") or ""):
        return True
    return bool(_ARTICLE_CLASSES.search(element.get("class") or ""))


def _in_article(element: lxml.html.HtmlElement) -> bool:
    return any(_is_article(ancestor) for ancestor in element.iterancestors())


def article_of(heading: lxml.html.HtmlElement | None) -> lxml.html.HtmlElement | None:
    """The article container around the page's heading, if its markup has one."""
    if heading is None:
        return None
    return next((ancestor for ancestor in heading.iterancestors() if _is_article(ancestor)), None)


def outside_chrome(element: lxml.html.HtmlElement, main: lxml.html.HtmlElement | None = None) -> bool:
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


def element_text(element: lxml.html.HtmlElement) -> str:
    """An element's text with a space between its parts, so inline items stay apart."""
    return clean_text(" ".join(element.itertext()))


def heading_title(tree: lxml.html.HtmlElement, title: str) -> str:
    """The page's heading when the title is that heading plus the site's name or a breadcrumb.

    "Choir tour to Tallinn — University Chamber Choir", "Кафедра :: Новости :: Защита диссертации":
    the heading is what the article is called; the rest names the site, not the news.
    """
    for tag in ("h1", "h2"):
        for element in tree.iter(tag):
            heading = element_text(element)
            if not heading or heading == title or heading not in title or not outside_chrome(element):
                continue
            if title.startswith(heading) and _SITE_AFTER.fullmatch(title[len(heading) :]):
                return heading
            if title.endswith(heading) and _SITE_BEFORE.fullmatch(title[: -len(heading)]):
                return heading
    return title


def find_heading(tree: lxml.html.HtmlElement, title: str) -> lxml.html.HtmlElement | None:
    """The article's heading: the ``h1`` (else ``h2``, ``h3``) that reads as the title, else the first ``h1``."""
    wanted = title.casefold()
    for tag in ("h1", "h2", "h3"):
        for element in tree.iter(tag):
            text = element_text(element).casefold()
            # Titles often carry the site's name ("Heading | Site"), headings a trailing label.
            reads_as_title = wanted in text or (text in wanted and 2 * len(text) > len(wanted))
            if text and wanted and reads_as_title and outside_chrome(element, article_of(element)):
                return element
    return next(iter(tree.iter("h1")), None)
