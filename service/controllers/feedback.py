"""``POST /feedback``: "did this help?" on an answer or a result, tied to the logged query."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, post
from litestar.exceptions import TooManyRequestsException

from service.controllers.ask import require_json
from service.feedback import FEEDBACK_METRIC, RateLimiter, feedback_record, logged_query
from service.metrics import Metrics
from service.querylog import query_log_of

# The same as indexer.insights.store.FEEDBACK_REASONS (a test keeps them equal).
Reason = Literal["wrong", "outdated", "incomplete", "off-topic"]


class FeedbackRequest(msgspec.Struct, frozen=True, kw_only=True):
    """A verdict on the answer (no ``article_id``) or on one result (its ``article_id``)."""

    query_id: Annotated[str, msgspec.Meta(pattern="^[0-9a-f]{8,64}$", description="the response's query_id")]
    verdict: Literal["yes", "no"]
    reason: Reason | None = None
    article_id: Annotated[str, msgspec.Meta(max_length=200, description="the result judged")] | None = None


class FeedbackResponse(msgspec.Struct, frozen=True, kw_only=True):
    recorded: bool
    query_id: str
    article_id: str | None


class FeedbackController(Controller):
    path = "/feedback"
    tags = ("feedback",)

    @post(summary="Say whether an answer or a result helped", status_code=200, before_request=require_json)
    async def feedback(
        self, request: Request[Any, Any, Any], metrics: Metrics, data: FeedbackRequest
    ) -> FeedbackResponse:
        limiter: RateLimiter = request.app.state.feedback_limiter
        # The address is used here and nowhere else: never logged, never stored.
        client = request.client.host if request.client is not None else "unknown"
        if not limiter.allow(client):
            raise TooManyRequestsException(
                "too much feedback from this address; try again shortly",
                headers={"Retry-After": str(limiter.retry_after_s())},
            )
        query_log = query_log_of(request.app.state)
        logged = await asyncio.to_thread(logged_query, query_log, data.query_id)
        row = feedback_record(logged, data.query_id, data.article_id, data.verdict, data.reason)
        recorded = query_log is not None and query_log.submit(row)
        target = "result" if data.article_id else "answer"
        labels = {"verdict": data.verdict, "reason": row.reason or "none", "target": target}
        metrics.count(FEEDBACK_METRIC, "Feedback received, by verdict, reason and what was judged.", labels)
        return FeedbackResponse(recorded=recorded, query_id=data.query_id, article_id=row.article_id)
