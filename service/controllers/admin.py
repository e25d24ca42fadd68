"""``POST /admin/reload``: swap in the index on disk without a restart (Bearer token required)."""

from __future__ import annotations

import hmac
from typing import Any

from litestar import Controller, post
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from service.config import Settings
from service.follower import IndexFollower
from service.schemas import ReloadResponse, WorkerOut

# How long a reload waits for the other workers to report the version they serve.
RELOAD_WAIT_S = 30.0


def require_admin_token(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    settings: Settings = connection.app.state.settings
    if settings.admin_token is None:
        raise PermissionDeniedException("admin endpoints are disabled: set POLYSEARCH_ADMIN_TOKEN to enable them")
    header = connection.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthorizedException(
            "send Authorization: Bearer <POLYSEARCH_ADMIN_TOKEN>", headers={"WWW-Authenticate": "Bearer"}
        )
    # Constant-time comparison: response timing must not reveal how much of a guess was right.
    if not hmac.compare_digest(token.strip().encode(), settings.admin_token.encode()):
        raise PermissionDeniedException("the admin token is wrong")


class AdminController(Controller):
    path = "/admin"
    tags = ("admin",)
    guards = (require_admin_token,)

    @post("/reload", summary="Load the index on disk beside the live one, verify it, swap it in", status_code=200)
    async def reload(self, follower: IndexFollower) -> ReloadResponse:
        outcome, workers = await follower.reload_everywhere(timeout_s=RELOAD_WAIT_S)
        engine = outcome.engine
        return ReloadResponse(
            reloaded=outcome.reloaded,
            index_version=engine.version,
            previous_version=outcome.previous_version,
            passages=engine.passages,
            took_ms=round(outcome.seconds * 1000, 2),
            workers=[WorkerOut(worker=w.worker, index_version=w.version, error=w.error) for w in workers],
        )
