"""The Ray Serve entry point: ``create_app()`` as a replicated deployment, and nothing else.

Imported only by ``polysearch serve --engine ray``; ``ray`` itself is imported inside
``indexer.engines``, so the service installs and runs without the extra. What a replica adds
to the app is only what makes it one of several: its id on every response (a header) and on
every ``/metrics`` sample (a label), and, with dense shards, each version searched on them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

from litestar import Litestar
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from indexer.encoders.base import Encoder
from indexer.engines import ray_serve
from indexer.engines.ray_cluster import connect
from service.app import create_app
from service.config import Settings
from service.metrics import Metrics
from service.observability import configure_service_logging

REPLICA_HEADER = "x-polysearch-replica"
REPLICA_LABEL = "replica"


class ReplicaHeader:
    """Names the replica that answered on every HTTP response (the proxy picks any replica)."""

    def __init__(self, app: ASGIApp, replica: str) -> None:
        self.app = app
        self.header = (REPLICA_HEADER.encode(), replica.encode())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return

        async def named(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), self.header]
            await send(message)

        await self.app(scope, receive, named)


def replica_app(
    settings: Settings, replica: ray_serve.Replica, encoder_factory: Callable[[], Encoder] | None = None
) -> Litestar:
    """The app one replica serves (runs on the replica)."""
    # Its own logging, its own app, lifespan and all.
    configure_service_logging(settings.log_level)
    app = create_app(
        settings,
        encoder=encoder_factory() if encoder_factory else None,
        prepare_index=replica.prepare_index if replica.shards else None,
    )
    cast(Metrics, app.state.metrics).constant_labels = {REPLICA_LABEL: replica.name}
    app.asgi_handler = ReplicaHeader(app.asgi_handler, replica.name)
    return app


def application(
    settings: Settings,
    *,
    replicas: int,
    shards: int = 0,
    cpus_per_shard: float = 1.0,
    encoder_factory: Callable[[], Encoder] | None = None,
) -> Any:
    """The bound Serve application; ``encoder_factory`` replaces the model (tests pass a fake)."""

    def build(replica: ray_serve.Replica) -> Litestar:
        return replica_app(settings, replica, encoder_factory)

    return ray_serve.app_deployment(
        build, replicas=replicas, index_dir=Path(settings.index_dir), shards=shards, cpus_per_shard=cpus_per_shard
    )


def serve_on_ray(
    settings: Settings, *, replicas: int, address: str | None, shards: int = 0, cpus_per_shard: float = 1.0
) -> int:
    """Deploy on the cluster at ``address`` (or a local one) and block until interrupted."""
    connect(address)
    ray_serve.start_http(host=settings.host, port=settings.port)
    app = application(settings, replicas=replicas, shards=shards, cpus_per_shard=cpus_per_shard)
    ray_serve.run(app, blocking=True)
    return 0
