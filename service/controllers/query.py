"""The query of a search or ask request: cleaned, logged, read once, and encoded only if it is used."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Request

from indexer.models import SearchMode
from indexer.search.query import Query
from service.observability import set_logged_query
from service.state import Engine
from service.validation import clean_text


def request_query(
    request: Request[Any, Any, Any],
    engine: Engine,
    raw: str,
    field: str,
    *,
    today: dt.date | None = None,
    infer_dates: bool = True,
) -> Query:
    """The request's text cleaned (a 400 naming ``field`` if unusable), noted for the request log, and read.

    Reading (the language, whether the model covers it) happens here once; search and answer
    take the record instead of reading the text again. Time in the text is read against
    ``today`` (the request's ``now``, else the clock), unless ``infer_dates`` is off.
    """
    text = clean_text(raw, field)
    set_logged_query(request.scope, text)
    return engine.retriever.read(text, today=today, infer_dates=infer_dates)


async def encode_if_used(engine: Engine, query: Query, mode: SearchMode) -> Query:
    """``query`` with its vector from the service's one query encoder, if ``mode`` ranks it by the model.

    Keyword search needs no vector, nor does a query in a language the model does not cover:
    either costs no model call. Kept apart from ``request_query`` so that a request's other
    parameters are checked before the model is asked for anything.
    """
    if not query.dense(mode):
        return query
    return query.with_vector(await engine.queries.encode(query.search_text))
