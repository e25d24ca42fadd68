"""``GET /admin/insights``: the gap report as a page, and ``/admin/insights.json`` behind the admin token.

The page itself holds no data, so it is served to anyone; it asks for the token in a form and
sends it as an Authorization header to the JSON endpoint, never in a URL.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.params import Parameter

from indexer.errors import InsightsError, InvalidQueryError, NotFoundError
from indexer.insights.report import Report, build_report, read_report, since_time
from service.config import Settings
from service.controllers.admin import require_admin_token
from service.state import IndexState
from service.web import HTML, STATIC_DIR, content_security_policy

# Spans only over HTTP (the command line also takes a date): every value the pattern admits is valid.
SPAN_PATTERN = r"^[0-9]{1,5}[hdw]$"
# Read once: the page is a static file of the package.
PAGE = (STATIC_DIR / "insights.html").read_bytes()


class InsightsController(Controller):
    path = "/admin"
    tags = ("admin",)

    @get("/insights", media_type=HTML, include_in_schema=False, sync_to_thread=False)
    def page(self) -> Response[bytes]:
        headers = {
            "Content-Security-Policy": content_security_policy(("'none'",)),
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-cache",
            "X-Frame-Options": "DENY",
        }
        return Response(PAGE, media_type=HTML, headers=headers)

    @get("/insights.json", guards=[require_admin_token], summary="The gap report over the query log")
    async def report(
        self,
        request: Request[Any, Any, Any],
        index_state: IndexState,
        since: Annotated[
            str, Parameter(description="how far back: hours, days or weeks (12h, 7d, 2w)", pattern=SPAN_PATTERN)
        ] = "7d",
    ) -> Report:
        settings: Settings = request.app.state.settings
        path = settings.query_log_path
        if path is None:
            raise NotFoundError("the query log is off (POLYSEARCH_QUERY_LOG=off)")
        try:
            start = since_time(since)
        except InsightsError as exc:
            raise InvalidQueryError("since", str(exc).removeprefix("since: ")) from None
        engine = index_state.peek()
        encoder = engine.encoder if engine is not None else None
        if not path.is_file():
            return build_report([], encoder=encoder, since=start)
        # Reading and embedding take a moment on a large log: a thread, not the event loop or the search pool.
        return await asyncio.to_thread(read_report, path, encoder=encoder, since=start)
