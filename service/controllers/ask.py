"""``GET /ask`` and ``POST /ask``: one cited answer sentence, or an abstention, with its citations."""

from __future__ import annotations

import datetime as dt
import time
from typing import Annotated, Any

from litestar import Controller, HttpMethod, Request, Response, get, post, route
from litestar.params import Parameter

from indexer.errors import InvalidQueryError
from indexer.models import SearchFilters
from service.admission import AdmissionMiddleware
from service.compute import ComputePool
from service.controllers.query import encode_if_used, request_query
from service.errors import UnsupportedMediaError
from service.querylog import record_ask
from service.schemas import DATE_HELP, MAX_K, MAX_QUERY_CHARS, AskRequest, AskResponse, Lang
from service.state import Engine
from service.validation import INFER_HELP, NOW_HELP, check_encoding, read_date, search_filters


async def require_json(request: Request[Any, Any, Any]) -> None:
    """Refuse bodies that do not say they are JSON, or are not UTF-8, before decoding them."""
    content_type = request.headers.get("content-type", "")
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise UnsupportedMediaError(f"send the question as application/json, not {media_type or 'no content type'!r}")
    await check_encoding(request, body=True)


async def answer(
    request: Request[Any, Any, Any],
    engine: Engine,
    pool: ComputePool,
    raw: str,
    k: int,
    filters: SearchFilters | None,
    *,
    today: dt.date | None = None,
    infer_dates: bool = True,
) -> AskResponse:
    started = time.perf_counter()
    field = "question" if request.method == "POST" else "q"
    query = request_query(request, engine, raw, field, today=today, infer_dates=infer_dates)
    query = await encode_if_used(engine, query, "hybrid")
    result = await pool.run(engine.answerer.ask, query, k=k, filters=filters)
    took_ms = round((time.perf_counter() - started) * 1000, 2)
    query_id = record_ask(request.app.state, query, filters, result, took_ms)
    # The answer's story may be told in other languages too: its card names them (which
    # passage answers is the answerer's choice alone).
    retriever = engine.retriever
    answered = result.answer.article_id if result.answer is not None else None
    others = [v for v in retriever.versions.get(answered, ()) if v != answered] if answered else []
    return AskResponse.of(
        result,
        also_in=[retriever.article(v) for v in others],
        index_version=engine.version,
        took_ms=took_ms,
        reading=query.reading("hybrid"),
        query_id=query_id,
        time=query.time,
    )


async def require_boolean(request: Request[Any, Any, Any], field: str) -> None:
    """A JSON ``true``/``false`` only: the body's lenient decoding would take 0 and 1 for booleans."""
    raw = await request.json()
    if isinstance(raw, dict) and field in raw and not isinstance(raw[field], bool):
        raise InvalidQueryError(field, "must be true or false")


class AskController(Controller):
    path = "/ask"
    tags = ("ask",)
    middleware = (AdmissionMiddleware,)

    # Litestar answers OPTIONS itself with the methods of the first handler registered for a path,
    # so for /ask (two handlers) it would leave out POST. This handler comes first (by name and
    # place) and lists both; without a CORS configuration nothing else answers OPTIONS here.
    @route(http_method=HttpMethod.OPTIONS, include_in_schema=False, sync_to_thread=False)
    def ask_allow(self) -> Response[None]:
        return Response(None, status_code=204, headers={"Allow": "GET, OPTIONS, POST"})

    @get(summary="Answer a question (query string)")
    async def ask_get(
        self,
        request: Request[Any, Any, Any],
        engine: Engine,
        pool: ComputePool,
        q: Annotated[str, Parameter(description=f"the question, 1 to {MAX_QUERY_CHARS} characters after trimming")],
        k: Annotated[int, Parameter(ge=1, le=MAX_K, description="passages to answer from")] = 5,
        date_from: Annotated[
            str | None, Parameter(description=f"earliest article date (inclusive): {DATE_HELP}")
        ] = None,
        date_to: Annotated[str | None, Parameter(description=f"latest article date (inclusive): {DATE_HELP}")] = None,
        lang: Annotated[Lang | None, Parameter(description="only passages in this language")] = None,
        article_id: Annotated[list[str] | None, Parameter(description="only these articles (repeatable)")] = None,
        now: Annotated[str | None, Parameter(description=NOW_HELP)] = None,
        infer_dates: Annotated[bool, Parameter(description=INFER_HELP)] = True,
    ) -> AskResponse:
        filters = search_filters(read_date(date_from, "date_from"), read_date(date_to, "date_to"), article_id, lang)
        today = read_date(now, "now")
        return await answer(request, engine, pool, q, k, filters, today=today, infer_dates=infer_dates)

    @post(
        summary="Answer a question (JSON body)",
        description="The parameters of `GET /ask`, with the same rules; the question is `question`.",
        status_code=200,
        before_request=require_json,
    )
    async def ask_post(
        self, request: Request[Any, Any, Any], engine: Engine, pool: ComputePool, data: AskRequest
    ) -> AskResponse:
        filters = search_filters(
            read_date(data.date_from, "date_from"), read_date(data.date_to, "date_to"), data.article_id, data.lang
        )
        today = read_date(data.now, "now")
        await require_boolean(request, "infer_dates")
        return await answer(
            request, engine, pool, data.question, data.k, filters, today=today, infer_dates=data.infer_dates
        )
