"""``GET /search``: ranked passages for a query, or one result per story with snippets and facets."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.params import Parameter

from indexer.models import SearchFilters, SearchMode
from indexer.search.grouping import GROUP_DEPTH, article_page, facet_counts, group_by_story
from indexer.search.query import Query
from indexer.search.snippets import query_terms
from indexer.text.query_form import asks_question
from service.admission import AdmissionMiddleware
from service.compute import ComputePool
from service.controllers.query import encode_if_used, request_query
from service.querylog import record_search
from service.schemas import (
    DATE_HELP,
    MAX_K,
    MAX_OFFSET,
    MAX_QUERY_CHARS,
    ArticleResultOut,
    FacetsOut,
    Group,
    HitOut,
    Interpreted,
    Lang,
    SearchResponse,
)
from service.state import Engine
from service.validation import INFER_HELP, NOW_HELP, read_date, search_filters


@dataclass(frozen=True, slots=True)
class _Page:
    """What a search returns besides the query's reading: one page of passages or of articles."""

    total: int
    next_offset: int | None
    facets: FacetsOut
    hits: list[HitOut] = field(default_factory=list)
    results: list[ArticleResultOut] = field(default_factory=list)


def _page(
    engine: Engine, query: Query, k: int, offset: int, mode: SearchMode, group: Group, filters: SearchFilters | None
) -> _Page:
    """The query's first ``GROUP_DEPTH`` ranked passages, as a page of passages or of articles.

    Both shapes rank the same passages, so the facets (stories per year and language, versions
    of one story counted once) do not depend on the shape asked for.
    """
    retriever = engine.retriever
    hits = retriever.search(query, GROUP_DEPTH, mode, filters)
    if group == "passage":
        following = offset + k
        return _Page(
            total=len(hits),
            next_offset=following if following < len(hits) else None,
            facets=FacetsOut.of(facet_counts(group_by_story(hits, retriever.versions, lang=query.lang))),
            hits=[HitOut.of(hit) for hit in hits[offset:following]],
        )
    page = article_page(hits, offset=offset, limit=k, versions=retriever.versions, lang=query.lang)
    terms = query_terms(query.text)
    # The snippet's sentence is chosen by the query's words weighted by BM25's IDF: the rare
    # word a reader searched for counts for more than one every article has.
    keyword = retriever.index.keyword
    weights = {term: keyword.idf(term) for term in terms}
    return _Page(
        total=page.total,
        next_offset=page.next_offset,
        facets=FacetsOut.of(page.facets),
        results=[
            ArticleResultOut.of(group, terms, weights, also_in=[retriever.article(v) for v in group.also_in])
            for group in page.groups
        ],
    )


class SearchController(Controller):
    path = "/search"
    tags = ("search",)
    middleware = (AdmissionMiddleware,)

    @get(
        summary="Ranked passages for a query, or one result per story",
        description=(
            "`group=article` folds the ranked passages by article: one result per article, at its best "
            "passage's rank, with a snippet around the best-matching sentence and the article's other "
            "matching passages. Versions of one story (a translation, a repost) are one result, at the "
            "rank of the best version, shown in the query's language when that version matched, the "
            f"others listed in `also_in`. A query matches at most its first {GROUP_DEPTH} ranked passages; "
            "`offset` pages through them and `facets` counts their stories per year and language. "
            "A passage sharing no word with the query is never listed by keyword ranking."
        ),
    )
    async def search(
        self,
        request: Request[Any, Any, Any],
        engine: Engine,
        pool: ComputePool,
        q: Annotated[str, Parameter(description=f"the query, 1 to {MAX_QUERY_CHARS} characters after trimming")],
        k: Annotated[
            int,
            Parameter(
                ge=1, le=MAX_K, description=f"results per page (passages, or articles with group=article), 1 to {MAX_K}"
            ),
        ] = 10,
        offset: Annotated[
            int,
            Parameter(
                ge=0, le=MAX_OFFSET, description=f"results to skip (the previous page's next_offset), 0 to {MAX_OFFSET}"
            ),
        ] = 0,
        mode: Annotated[SearchMode, Parameter(description="dense, keyword or hybrid ranking")] = "hybrid",
        group: Annotated[
            Group, Parameter(description="passage: ranked passages; article: one result per story")
        ] = "passage",
        date_from: Annotated[
            str | None, Parameter(description=f"earliest article date (inclusive): {DATE_HELP}")
        ] = None,
        date_to: Annotated[str | None, Parameter(description=f"latest article date (inclusive): {DATE_HELP}")] = None,
        lang: Annotated[Lang | None, Parameter(description="only passages in this language")] = None,
        article_id: Annotated[list[str] | None, Parameter(description="only these articles (repeatable)")] = None,
        now: Annotated[str | None, Parameter(description=NOW_HELP)] = None,
        infer_dates: Annotated[bool, Parameter(description=INFER_HELP)] = True,
    ) -> SearchResponse:
        started = time.perf_counter()
        today = read_date(now, "now")
        query = request_query(request, engine, q, "q", today=today, infer_dates=infer_dates)
        filters = search_filters(read_date(date_from, "date_from"), read_date(date_to, "date_to"), article_id, lang)
        query = await encode_if_used(engine, query, mode)
        page = await pool.run(_page, engine, query, k, offset, mode, group, filters)
        took_ms = round((time.perf_counter() - started) * 1000, 2)
        return SearchResponse(
            query=query.text,
            mode=mode,
            k=k,
            index_version=engine.version,
            took_ms=took_ms,
            query_lang=query.lang,
            dense_used=query.dense(mode),
            group=group,
            offset=offset,
            asks_question=asks_question(query.text),
            hits=page.hits,
            results=page.results,
            total=page.total,
            next_offset=page.next_offset,
            facets=page.facets,
            query_id=record_search(
                request.app.state, query, mode, filters, page.hits or page.results, page.total, took_ms
            ),
            interpreted=Interpreted.of(query.time),
        )
