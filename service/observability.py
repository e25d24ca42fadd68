"""One JSON log line and one metrics observation per HTTP request, with a request id.

This wraps the whole application (not one route), so requests that match no route, or fail
before reaching a handler (404, 405, 413), are logged and counted like any other. The page's
own files (scripts, styles, icons) and the startup's readiness polls are logged at debug
level: at info, one page load would be a screenful of lines that say nothing about searches.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from indexer.logs import configure_logging
from service.admission import CLIENT_GONE
from service.metrics import Metrics
from service.startup import PROBE_HEADER

log = logging.getLogger("service.requests")

REQUEST_ID_HEADER = "x-request-id"
# A client's own id is reused (so logs join across services) only if it is short and plain.
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
UNMATCHED = "unmatched"
CLIENT_CLOSED = 499
# Static files: the page's (service/web.py), the widget script, the API documentation's (service/app.py).
STATIC_PATHS = ("/static/", "/widget.js", "/schema/assets/")


def _client_request_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == REQUEST_ID_HEADER.encode():
            text = value.decode("latin-1")
            return text if _SAFE_ID.match(text) else None
    return None


def _is_startup_probe(scope: Scope) -> bool:
    return scope["path"] == "/ready" and any(name == PROBE_HEADER.encode() for name, _ in scope.get("headers", ()))


def _log_level(scope: Scope, status: int) -> int:
    """Debug for the startup's polls (503 until the index is loaded) and for static files that did not fail."""
    if _is_startup_probe(scope):
        return logging.DEBUG
    static = str(scope["path"]).startswith(STATIC_PATHS)
    return logging.DEBUG if static and status < 500 else logging.INFO


def set_logged_query(scope: Scope, text: str) -> None:
    """Let the request log include the query text (only when the settings allow it)."""
    scope.setdefault("state", {})["logged_query"] = text


class RequestObserver:
    """ASGI middleware: request id header, timing, the request log line and metrics."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics, log_queries: bool = False) -> None:
        self.app = app
        self.metrics = metrics
        self.log_queries = log_queries

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        method = str(scope.get("method", ""))
        started = time.perf_counter()
        request_id = _client_request_id(scope) or uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        status = 500  # what the client sees if the app dies before starting a response

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != REQUEST_ID_HEADER.encode()]
                headers.append((REQUEST_ID_HEADER.encode(), request_id.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            if scope.get("state", {}).get(CLIENT_GONE):
                status = CLIENT_CLOSED  # nothing was sent; say why, as nginx does
            route = str(scope.get("path_template") or UNMATCHED)
            self.metrics.observe(method, route, status, seconds)
            fields: dict[str, Any] = {
                "method": method,
                "path": scope["path"],
                "route": route,
                "status": status,
                "duration_ms": round(seconds * 1000, 2),
                "request_id": request_id,
            }
            query = scope.get("state", {}).get("logged_query")
            if self.log_queries and query is not None:
                fields["query"] = query
            log.log(_log_level(scope, status), "request", extra=fields)


def _drop_terminal_colours(record: logging.LogRecord) -> bool:
    # uvicorn attaches an ANSI-coloured copy of its message; in JSON it is only noise.
    record.__dict__.pop("color_message", None)
    return True


def configure_service_logging(level: str) -> None:
    """JSON lines for our loggers and the ASGI server's, so one parser reads every line.

    uvicorn's access log stays off: it would print each URL, query text included; the
    request log above replaces it.
    """
    configure_logging(level)
    handlers = logging.getLogger("service").handlers
    for handler in handlers:
        handler.addFilter(_drop_terminal_colours)
    for name in ("uvicorn", "uvicorn.error"):
        server_log = logging.getLogger(name)
        server_log.handlers[:] = list(handlers) if name == "uvicorn" else []
        server_log.setLevel(level.upper())
        server_log.propagate = name != "uvicorn"
    logging.getLogger("uvicorn.access").disabled = True
    # Any other library's record (asyncio's "Fatal error ... data_received() call failed" with
    # its traceback, a warning) would reach Python's last-resort handler and be printed as
    # several plain lines; through the root logger it is one JSON line like the rest.
    root = logging.getLogger()
    root.handlers[:] = [h for h in root.handlers if not getattr(h, _ROOT_HANDLER, False)]
    for handler in handlers:
        root_handler = logging.StreamHandler(getattr(handler, "stream", None))
        root_handler.setFormatter(handler.formatter)
        root_handler.setLevel(logging.WARNING)
        setattr(root_handler, _ROOT_HANDLER, True)
        root.addHandler(root_handler)
    logging.captureWarnings(True)


_ROOT_HANDLER = "_polysearch_root"
