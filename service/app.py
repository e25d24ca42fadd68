"""The Litestar application factory: settings in, a ready-to-serve ASGI app out."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

import openapi_ui_bundles
from litestar import Litestar, Request
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, SwaggerRenderPlugin
from litestar.static_files import create_static_files_router
from litestar.types import ASGIApp, ControllerRouterHandler

import indexer
from indexer.encoders.base import Encoder
from indexer.store.loaded import LoadedIndex
from service.admission import Admission, AdmissionGate
from service.batching import batched_query_encoder
from service.compute import (
    ComputePool,
    QueryEncoderFactory,
    configure_threads,
    prepare_environment,
)
from service.config import Settings
from service.errors import exception_handlers
from service.feedback import RateLimiter
from service.follower import IndexFollower
from service.headers import SecurityHeaders
from service.metrics import Metrics
from service.observability import RequestObserver, configure_service_logging
from service.openapi import make_exact
from service.querylog import QueryLog
from service.routes import route_handlers
from service.state import Engine, IndexState
from service.validation import check_encoding

log = logging.getLogger(__name__)

SCHEMA_PATH = "/schema"
SCHEMA_ASSETS = f"{SCHEMA_PATH}/assets"


def _provide_index_state(state: State) -> IndexState:
    return cast(IndexState, state.index)


def _provide_engine(state: State) -> Engine:
    # Taken once per request: a reload during the request does not change what it uses.
    return cast(IndexState, state.index).engine


def _provide_pool(state: State) -> ComputePool:
    return cast(ComputePool, state.pool)


def _provide_follower(state: State) -> IndexFollower:
    return cast(IndexFollower, state.follower)


def _provide_admission(state: State) -> Admission:
    return cast(Admission, state.admission)


def _provide_metrics(state: State) -> Metrics:
    return cast(Metrics, state.metrics)


async def _check_encoding(request: Request[Any, Any, Any]) -> None:
    await check_encoding(request)


def _openapi_config() -> OpenAPIConfig:
    # Swagger UI's files are served by this app (see SCHEMA_ASSETS): the intranet may have no CDN.
    swagger = SwaggerRenderPlugin(
        path="/swagger",
        js_url=f"{SCHEMA_ASSETS}/swagger-ui-bundle.js",
        css_url=f"{SCHEMA_ASSETS}/swagger-ui.css",
        standalone_preset_js_url=f"{SCHEMA_ASSETS}/swagger-ui-standalone-preset.js",
        favicon=f"<link rel='icon' type='image/png' href='{SCHEMA_ASSETS}/favicon-32x32.png'>",
    )
    return OpenAPIConfig(
        title="polysearch",
        version=indexer.__version__,
        description="Semantic search and cited question answering over the university's news articles.",
        path=SCHEMA_PATH,
        render_plugins=[swagger, JsonRenderPlugin(path="/openapi.json")],
    )


@dataclass(frozen=True, slots=True)
class _IndexOptions:
    """How the service loads its index, where a caller replaces the defaults (see ``create_app``)."""

    encoder: Encoder | None = None
    query_encoder_factory: QueryEncoderFactory = batched_query_encoder
    prepare_index: Callable[[LoadedIndex], LoadedIndex] | None = None


def create_app(
    settings: Settings | None = None,
    *,
    encoder: Encoder | None = None,
    query_encoder_factory: QueryEncoderFactory = batched_query_encoder,
    extra_route_handlers: Sequence[ControllerRouterHandler] = (),
    prepare_index: Callable[[LoadedIndex], LoadedIndex] | None = None,
) -> Litestar:
    """The service for ``settings`` (default: from the environment).

    ``encoder`` replaces the model the index names (tests pass a fake one);
    ``query_encoder_factory`` decides how query text reaches the model (one call per query,
    or batched across requests); ``extra_route_handlers`` are mounted beside the API;
    ``prepare_index`` adapts each loaded version before it serves (Ray: dense search on shards).
    """
    settings = settings or Settings.from_env()
    options = _IndexOptions(encoder=encoder, query_encoder_factory=query_encoder_factory, prepare_index=prepare_index)
    metrics = Metrics()
    app = Litestar(
        route_handlers=[*route_handlers(settings), _schema_assets(), *extra_route_handlers],
        lifespan=[functools.partial(_lifespan, settings=settings, options=options)],
        dependencies=_dependencies(),
        exception_handlers=exception_handlers(),
        cors_config=CORSConfig(allow_origins=list(settings.cors_origins)) if settings.cors_origins else None,
        openapi_config=_openapi_config(),
        request_max_body_size=settings.max_body_bytes,
        before_request=_check_encoding,
        state=State({"settings": settings, "metrics": metrics}),
        logging_config=None,
        debug=False,
    )
    make_exact(app.openapi_schema)
    app.asgi_handler = _outermost(app.asgi_handler, settings, metrics)
    return app


def _dependencies() -> dict[str, Provide]:
    """What handlers receive by parameter name, all taken from ``app.state`` (set by ``_lifespan``)."""
    return {
        "index_state": Provide(_provide_index_state, sync_to_thread=False),
        "engine": Provide(_provide_engine, sync_to_thread=False),
        "pool": Provide(_provide_pool, sync_to_thread=False),
        "metrics": Provide(_provide_metrics, sync_to_thread=False),
        "follower": Provide(_provide_follower, sync_to_thread=False),
        "admission": Provide(_provide_admission, sync_to_thread=False),
    }


def _schema_assets() -> ControllerRouterHandler:
    return create_static_files_router(
        path=SCHEMA_ASSETS, directories=[openapi_ui_bundles.swagger_ui.static_path], include_in_schema=False
    )


def _outermost(handler: ASGIApp, settings: Settings, metrics: Metrics) -> ASGIApp:
    """The framework's ASGI handler inside the admission gate, security headers and request log.

    Wrapping the whole ASGI handler (not a per-route middleware) is what lets the request log
    and metrics see requests that never reach a route: 404s, 405s, CORS preflights. The
    admission gate sits outside the framework, so a refusal under overload costs no routing and
    no task; it also puts the disconnect watcher on compute requests only (service/admission.py).
    """
    gated = AdmissionGate(handler, cors=bool(settings.cors_origins), max_body_bytes=settings.max_body_bytes)
    return RequestObserver(SecurityHeaders(gated), metrics=metrics, log_queries=settings.log_queries)


@contextlib.asynccontextmanager
async def _lifespan(app: Litestar, *, settings: Settings, options: _IndexOptions) -> AsyncIterator[None]:
    """The compute pool, admission, index state and follower on ``app.state`` while the app runs."""
    prepare_environment()
    pool = ComputePool(settings.compute_threads)
    index_state = IndexState(
        settings.index_dir,
        pool=pool,
        query_encoder_factory=options.query_encoder_factory,
        encoder=options.encoder,
        backend=settings.backend,
        prepare_index=options.prepare_index,
    )
    app.state.pool = pool
    app.state.admission = Admission(settings.max_queue, deadline_s=settings.queue_deadline_ms / 1000)
    app.state.index = index_state
    follower = IndexFollower(index_state, interval_s=settings.follow_interval_ms / 1000)
    app.state.follower = follower
    query_log = _query_log(settings)
    app.state.query_log = query_log
    app.state.feedback_limiter = RateLimiter()
    # Loading runs beside serving, so /health answers at once and /ready says when it is done.
    loading = asyncio.create_task(_load_and_follow(index_state, follower, settings, options))
    try:
        yield
    finally:
        if not loading.done():
            loading.cancel()
        with contextlib.suppress(BaseException):
            await loading
        await index_state.aclose()
        pool.shutdown()
        if query_log is not None:
            await asyncio.to_thread(query_log.close)


def _query_log(settings: Settings) -> QueryLog | None:
    """The query log's writer, started; None when the settings turn it off."""
    path = settings.query_log_path
    if path is None:
        return None
    query_log = QueryLog(path, key=settings.query_log_key, days=settings.query_log_days)
    query_log.start()
    return query_log


async def _load_and_follow(
    index_state: IndexState, follower: IndexFollower, settings: Settings, options: _IndexOptions
) -> None:
    """The first load, then the thread settings it decides, then following the index on disk."""
    await follower.prime()
    # A failed first load is kept for /ready to report; the follower retries it when the index
    # on disk changes, /admin/reload at once.
    with contextlib.suppress(Exception):
        await index_state.load()
    # After the load: only then is it known whether the index's backend imported torch.
    await asyncio.to_thread(configure_threads, settings.torch_threads, load_torch=options.encoder is None)
    await follower.run()


def app_from_env() -> Litestar:
    """Entry for ``uvicorn --factory`` and worker processes: settings from the environment."""
    settings = Settings.from_env()
    configure_service_logging(settings.log_level)
    return create_app(settings)
