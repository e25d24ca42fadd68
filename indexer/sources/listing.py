"""The records every source yields: articles it read itself, pages it points at, and how complete it is."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from indexer.models import Article

_NOT_ID = re.compile(r"[^a-z0-9]+")
_TYPOGRAPHIC_SPACES = str.maketrans({"\u00a0": " ", "\u2007": " ", "\u202f": " "})


@dataclass(frozen=True, slots=True)
class PageRef:
    """A web page a feed or sitemap lists; ``lastmod`` is the sitemap's, used only to skip refetching.

    ``alternates``: the page's other-language versions the sitemap declares (``xhtml:link
    rel="alternate" hreflang``), recorded on the page's article.
    """

    url: str
    lastmod: str | None = None
    alternates: tuple[str, ...] = ()


@dataclass(slots=True)
class Listing:
    """What one source holds now.

    ``complete`` is true only when the whole source was read without error: only then may an
    article it no longer lists be removed. ``deleted`` are ids the source itself says are gone.
    """

    source: str
    articles: list[Article] = field(default_factory=list)
    pages: list[PageRef] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    complete: bool = True


def normalize_url(url: str) -> str:
    """The URL without its fragment, scheme and host lower-cased: one page, one spelling."""
    parts = urlsplit(url.strip())
    path = parts.path or "/"
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, parts.query, ""))


def url_article_id(url: str) -> str:
    """A stable, readable id for a web page: its host and path as a slug plus a short hash of the URL.

    The hash keeps two URLs that slug alike ("/a_b", "/a-b") apart; ids never hold ``#`` or ``/``,
    which passage ids and routes reserve.
    """
    normalized = normalize_url(url)
    parts = urlsplit(normalized)
    slug = _NOT_ID.sub("-", f"{parts.netloc}{parts.path}".lower()).strip("-")[:80].strip("-")
    digest = hashlib.sha256(normalized.encode("utf-8")).hexdigest()[:8]
    return f"{slug}-{digest}" if slug else digest


def clean_body(text: str) -> str:
    """NFC, plain spaces and blank-line paragraphs, as file articles are cleaned, so quotes match."""
    text = unicodedata.normalize("NFC", text).translate(_TYPOGRAPHIC_SPACES)
    lines = [line.strip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return "\n\n".join(line for line in lines if line)
