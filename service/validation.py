"""Cleaning free text from clients: Unicode normalisation, control characters, length limits."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
import urllib.parse
from typing import Any

from litestar import Request

from indexer.errors import InvalidQueryError
from indexer.models import SearchFilters
from indexer.text.dates import parse_date
from service.errors import MalformedRequestError
from service.schemas import DATE_HELP, MAX_QUERY_CHARS

# Separators a pasted query may contain; they become spaces so words stay apart.
_SPACES = frozenset("\t\n\r\x0b\x0c\x85\u2028\u2029")
MAX_ARTICLE_IDS = 50
MAX_ID_CHARS = 200
# Text means something if it holds one character that is not a space, a control character or an
# invisible format mark. The OpenAPI document states the same pattern (service/openapi.py).
# Spelled as explicit ranges (no \s), so Python and the ECMA regexes of JSON Schema read it alike:
# C0/C1 controls and every Unicode space, soft hyphen, and the invisible marks of U+2000-U+206F.
MEANINGFUL = r"[^\u0000-\u0020\u007f-\u00a0\u00ad\u061c\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f-\u206f\u3000\ufeff]"
_MEANINGFUL = re.compile(MEANINGFUL)


def clean_text(raw: str, field: str, *, max_chars: int = MAX_QUERY_CHARS) -> str:
    """NFC-normalised, control characters removed, trimmed; at most ``max_chars`` as sent.

    Any script or emoji is an ordinary query. Lone surrogates (which JSON escapes can
    smuggle in) are dropped with the control characters, so the text is always valid UTF-8.
    The limits apply to the text as sent, so the OpenAPI document can state them exactly.
    """
    if len(raw) > max_chars:
        raise InvalidQueryError(field, f"must be at most {max_chars} characters, got {len(raw)}")
    if not _MEANINGFUL.search(raw):
        raise InvalidQueryError(field, "must not be empty")
    kept = []
    for char in raw:
        if char in _SPACES:
            kept.append(" ")
        elif unicodedata.category(char) not in ("Cc", "Cs"):
            kept.append(char)
    return unicodedata.normalize("NFC", "".join(kept)).strip()


_ISO_SHAPE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}")


def read_date(text: str | None, field: str) -> dt.date | None:
    """A date filter as a person writes it, English or Russian; a 400 naming ``field`` otherwise."""
    # An empty value is not "no filter": the OpenAPI document promises a date when the parameter
    # is sent, and the page leaves out filters it does not set.
    if text is None:
        return None
    date = parse_date(text)
    if date is None:
        shown = text.strip()[:40]
        if _ISO_SHAPE.fullmatch(text.strip()):
            # The form is right, the day is not in the calendar: 2025-02-30.
            raise InvalidQueryError(field, f"{shown} is not a date")
        raise InvalidQueryError(field, f"{shown!r} is not a date; write it {DATE_HELP}")
    return date


def search_filters(
    date_from: dt.date | None,
    date_to: dt.date | None,
    article_ids: list[str] | None,
    lang: str | None = None,
) -> SearchFilters | None:
    # date_from after date_to is an empty range (no hits), not an error: the OpenAPI document
    # cannot state a rule between two parameters, and the answer "nothing" is exact.
    ids: frozenset[str] | None = None
    if article_ids:
        if len(article_ids) > MAX_ARTICLE_IDS:
            raise InvalidQueryError("article_id", f"at most {MAX_ARTICLE_IDS} values")
        ids = frozenset(clean_text(value, "article_id", max_chars=MAX_ID_CHARS) for value in article_ids)
    langs = None if lang is None else frozenset({lang})
    if date_from is None and date_to is None and ids is None and langs is None:
        return None
    return SearchFilters(date_from=date_from, date_to=date_to, article_ids=ids, langs=langs)


async def check_encoding(request: Request[Any, Any, Any], *, body: bool = False) -> None:
    """Reject a query string (and, with ``body``, a request body) that is not valid UTF-8.

    The framework would decode invalid bytes to U+FFFD and search for those; a client that
    sends broken bytes should hear so instead.
    """
    raw_query: bytes = request.scope.get("query_string", b"")
    try:
        urllib.parse.unquote_to_bytes(raw_query).decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedRequestError("the query string is not valid UTF-8") from None
    if body:
        try:
            (await request.body()).decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedRequestError("the request body is not valid UTF-8") from None


NOW_HELP = "the day relative expressions (last year, в прошлом году) are read against, ISO; default today"
INFER_HELP = "read publication dates and 'latest' from the query text (false: the words are only keywords)"
