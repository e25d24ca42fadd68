"""The Ray Serve entry point: ``create_app()`` as a replicated deployment, and nothing else.

Imported only by ``polysearch serve --engine ray``; ``ray`` itself is imported inside
``indexer.engines``, so the service installs and runs without the extra.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar import Litestar

from indexer.encoder import Encoder
from indexer.engines import ray_serve
from indexer.engines.ray_cluster import connect
from service.app import create_app
from service.config import Settings
from service.observability import configure_service_logging


def _build_app(settings: Settings, encoder_factory: Callable[[], Encoder] | None) -> Litestar:
    # Runs on each replica: its own logging, its own app, lifespan and all.
    configure_service_logging(settings.log_level)
    return create_app(settings, encoder=encoder_factory() if encoder_factory else None)


def application(settings: Settings, *, replicas: int, encoder_factory: Callable[[], Encoder] | None = None) -> Any:
    """The bound Serve application; ``encoder_factory`` replaces the model (tests pass a fake)."""

    # A plain function, not a functools.partial: Ray Serve calls a builder only when
    # inspect.isfunction says it is one, and takes anything else for the ASGI app itself.
    def build() -> Litestar:
        return _build_app(settings, encoder_factory)

    return ray_serve.app_deployment(build, replicas=replicas)


def serve_on_ray(settings: Settings, *, replicas: int, address: str | None) -> int:
    """Deploy on the cluster at ``address`` (or a local one) and block until interrupted."""
    connect(address)
    ray_serve.start_http(host=settings.host, port=settings.port)
    ray_serve.run(application(settings, replicas=replicas), blocking=True)
    return 0
