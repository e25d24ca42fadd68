"""The service's own errors and the one map from every error to an HTTP status and JSON body.

Every error response is ``{"error": <code>, "detail": <message>}``, plus ``"field"`` when one
request field is to blame; nothing a client sends can produce a traceback in a response.
"""

from __future__ import annotations

import functools
import json
import logging
import re
from http import HTTPStatus
from pathlib import Path
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.types import ExceptionHandlersMap

from indexer.errors import (
    IndexCorruptError,
    IndexMismatchError,
    IndexNotFoundError,
    InvalidQueryError,
    ModelLoadError,
    NotFoundError,
    PolysearchError,
)
from service.schemas import PARAMETER_RULES

log = logging.getLogger(__name__)


class ConfigError(PolysearchError):
    """A setting (environment variable or command-line flag) has an unusable value."""


class ListenError(PolysearchError):
    """The service cannot listen on its address and port (in use, not permitted, not an address here)."""


class NotReadyError(PolysearchError):
    """No verified index is loaded yet (or the first load failed); try again later."""


class ReloadError(PolysearchError):
    """A new index could not be loaded; the old one keeps serving."""


class OverloadedError(PolysearchError):
    """Too many requests are already in the compute path; refused at once (503, Retry-After)."""


class DeadlineExceededError(PolysearchError):
    """A request's queued work was not started before its deadline and was dropped (503)."""


class UnsupportedMediaError(PolysearchError):
    """A request body in a content type the endpoint does not read."""


class MalformedRequestError(PolysearchError):
    """Bytes that are not what they claim to be: invalid UTF-8, broken JSON."""


# Status and error code for each core or service error; subclasses inherit their parent's entry.
_POLYSEARCH_STATUS: dict[type[PolysearchError], tuple[int, str]] = {
    InvalidQueryError: (400, "invalid_request"),
    NotFoundError: (404, "not_found"),
    UnsupportedMediaError: (415, "unsupported_media_type"),
    MalformedRequestError: (400, "malformed_request"),
    ReloadError: (409, "reload_failed"),
    NotReadyError: (503, "not_ready"),
    OverloadedError: (503, "overloaded"),
    DeadlineExceededError: (503, "overloaded"),
    IndexNotFoundError: (503, "not_ready"),
    IndexCorruptError: (503, "not_ready"),
    IndexMismatchError: (503, "not_ready"),
    ModelLoadError: (503, "not_ready"),
}


def error_response(
    status: int, code: str, detail: str, *, field: str | None = None, headers: dict[str, str] | None = None
) -> Response[dict[str, Any]]:
    body: dict[str, Any] = {"error": code, "detail": detail}
    if field is not None:
        body["field"] = field
    return Response(body, status_code=status, media_type=MediaType.JSON, headers=headers)


def _status_of(exc: PolysearchError) -> tuple[int, str]:
    for cls in type(exc).__mro__:
        if cls in _POLYSEARCH_STATUS:
            return _POLYSEARCH_STATUS[cls]
    return 500, "internal_error"


_ABSOLUTE_PATH = re.compile(r"(?<![\w.:/])/(?:[^\s/'\"]+/)*([^\s/'\":;,]+)")


def redact_paths(text: str, index_dir: Path) -> str:
    """``text`` without the server's file system layout: index paths relative, other paths by name.

    Error details reach any client; where the index lives on disk is for the operator's log.
    """
    if "/" not in text:
        return text  # nothing to hide; most errors (every 503 under overload) take this way
    for root in _index_roots(index_dir):
        text = text.replace(root + "/", "").replace(root, "the index")
    return _ABSOLUTE_PATH.sub(lambda m: m.group(1), text)


@functools.lru_cache(maxsize=8)
def _index_roots(index_dir: Path) -> tuple[str, ...]:
    # Resolved once per process: resolving walks the file system (an lstat per component),
    # and each of those calls gives up the GIL and waits to get it back behind busy compute
    # threads; done for every error, it made a refusal under overload cost the event loop
    # more than the refusal itself.
    return tuple(sorted({str(index_dir.resolve()), str(index_dir.absolute())}, key=len, reverse=True))


def _retry_after(exc: PolysearchError) -> str:
    # Overload clears within a second once clients back off; a missing index takes longer.
    return "1" if isinstance(exc, OverloadedError | DeadlineExceededError) else "5"


def raw_error_response(exc: PolysearchError) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """Status, headers and JSON body for an error answered outside the framework (the admission gate).

    Only for errors whose message shows no server path; the body is the one every error has.
    """
    status, code = _status_of(exc)
    body = json.dumps({"error": code, "detail": str(exc)}, ensure_ascii=False).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if status == 503:
        headers.append((b"retry-after", _retry_after(exc).encode()))
    return status, headers, body


def handle_polysearch_error(request: Request[Any, Any, Any], exc: PolysearchError) -> Response[dict[str, Any]]:
    status, code = _status_of(exc)
    if status >= 500 and status != 503:
        log.error("unhandled_core_error", exc_info=exc, extra={"path": request.url.path})
        return error_response(status, code, "the server could not complete the request")
    if isinstance(exc, InvalidQueryError):
        return error_response(status, code, f"{exc.field}: {exc.message}", field=exc.field)
    headers = {"Retry-After": _retry_after(exc)} if status == 503 else None
    return error_response(status, code, redact_paths(str(exc), request.app.state.settings.index_dir), headers=headers)


_MISSING = re.compile(r"Missing required (?:\w+ )?parameter '([^']+)'")
# Litestar calls the request body "data"; clients know it as the body.
_FIELD_NAMES = {"data": "body"}


_MISSING_FIELD = re.compile(r"missing required field `([^`]+)`")


def _validation_field(exc: ValidationException) -> str | None:
    extra = exc.extra
    if isinstance(extra, list) and extra and isinstance(extra[0], dict) and extra[0].get("key"):
        # A body without a required field is reported against the body; name the field.
        missing_field = _MISSING_FIELD.search(str(extra[0].get("message", "")))
        if missing_field:
            return missing_field.group(1)
        key = str(extra[0]["key"])
        return _FIELD_NAMES.get(key, key)
    missing = _MISSING.search(str(exc.detail))
    return missing.group(1) if missing else None


def _validation_detail(exc: ValidationException, field: str | None, request: Request[Any, Any, Any]) -> str:
    extra = exc.extra
    if isinstance(extra, list) and extra and isinstance(extra[0], dict) and extra[0].get("message"):
        message = str(extra[0]["message"])
        if _MISSING_FIELD.search(message):
            message = "is required"
        elif field in PARAMETER_RULES:
            # The framework says what it expected in its own terms ("Expected `int` >= 1",
            # "Invalid enum value"); a client is told what the parameter allows instead.
            message = PARAMETER_RULES[field] + _sent(request, field)
    elif _MISSING.search(str(exc.detail)):
        message = "is required"
    else:
        return str(exc.detail)
    return f"{field}: {message}" if field else message


def _sent(request: Request[Any, Any, Any], field: str) -> str:
    """ ", got '0'" for a query parameter as sent (cut short), or nothing for a body field."""
    value = request.query_params.get(field)
    return "" if value is None else f", got {value[:40]!r}"


def handle_http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    status = exc.status_code
    if status >= 500:
        log.error("http_error", exc_info=exc, extra={"path": request.url.path, "status": status})
        return error_response(status, "internal_error", "the server could not complete the request")
    code = HTTPStatus(status).phrase.lower().replace(" ", "_").replace("-", "_")
    if isinstance(exc, ValidationException):
        field = _validation_field(exc)
        return error_response(400, "invalid_request", _validation_detail(exc, field, request), field=field)
    detail = str(exc.detail)
    if status == 413:
        limit = request.app.state.settings.max_body_bytes
        detail = f"request bodies are limited to {limit} bytes"
    return error_response(status, code, detail, headers=dict(exc.headers or {}))


def handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    # A bug, not the client's fault: log the traceback, answer without it.
    log.error("unhandled_error", exc_info=exc, extra={"path": request.url.path})
    return error_response(500, "internal_error", "the server could not complete the request")


def exception_handlers() -> ExceptionHandlersMap:
    return {
        PolysearchError: handle_polysearch_error,
        HTTPException: handle_http_exception,
        Exception: handle_unexpected,
    }
