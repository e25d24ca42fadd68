"""``GET /search``: ranked passages for a query."""

from __future__ import annotations

import time
from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.params import Parameter

from indexer.models import SearchMode
from service.admission import AdmissionMiddleware
from service.compute import ComputePool
from service.controllers.query import encode_if_used, request_query
from service.schemas import MAX_K, MAX_QUERY_CHARS, HitOut, Interpreted, SearchResponse
from service.state import Engine
from service.validation import DATE_HELP, INFER_HELP, NOW_HELP, read_date, search_filters


class SearchController(Controller):
    path = "/search"
    tags = ("search",)
    middleware = (AdmissionMiddleware,)

    @get(summary="Ranked passages for a query", description="`k` beyond the corpus size returns every passage.")
    async def search(
        self,
        request: Request[Any, Any, Any],
        engine: Engine,
        pool: ComputePool,
        q: Annotated[str, Parameter(description=f"the query, 1 to {MAX_QUERY_CHARS} characters after trimming")],
        k: Annotated[int, Parameter(ge=1, le=MAX_K, description="number of passages")] = 10,
        mode: Annotated[SearchMode, Parameter(description="dense, keyword or hybrid ranking")] = "hybrid",
        date_from: Annotated[
            str | None, Parameter(description=f"earliest article date (inclusive): {DATE_HELP}")
        ] = None,
        date_to: Annotated[str | None, Parameter(description=f"latest article date (inclusive): {DATE_HELP}")] = None,
        article_id: Annotated[list[str] | None, Parameter(description="only these articles (repeatable)")] = None,
        now: Annotated[str | None, Parameter(description=NOW_HELP)] = None,
        infer_dates: Annotated[bool, Parameter(description=INFER_HELP)] = True,
    ) -> SearchResponse:
        started = time.perf_counter()
        today = read_date(now, "now")
        query = request_query(request, engine, q, "q", today=today, infer_dates=infer_dates)
        filters = search_filters(read_date(date_from, "date_from"), read_date(date_to, "date_to"), article_id)
        query = await encode_if_used(engine, query, mode)
        hits = await pool.run(engine.retriever.search, query, k, mode, filters)
        return SearchResponse(
            query=query.text,
            mode=mode,
            k=k,
            index_version=engine.version,
            took_ms=round((time.perf_counter() - started) * 1000, 2),
            hits=[HitOut.of(hit) for hit in hits],
            query_lang=query.lang,
            dense_used=query.dense(mode),
            interpreted=Interpreted.of(query.time),
        )
