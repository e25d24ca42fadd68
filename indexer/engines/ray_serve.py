"""Ray Serve deployments: an ASGI app as N replicas behind one HTTP entry point, and dense shards.

The core does not know the service: callers hand in a zero-argument app factory, which
each replica calls once at start (Ray Serve runs the app's lifespan, so whatever the app
does at start-up — loading the index, following ``CURRENT`` — every replica does too).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from indexer.encoder import Vectors
from indexer.engines.ray_cluster import import_ray
from indexer.engines.shards import Rows, Scores, ShardRange, shard_ranges
from indexer.errors import EngineError

APP_NAME = "polysearch"
# Requests one replica holds at once; more wait in the proxy's queue for a free replica.
MAX_ONGOING_REQUESTS = 16


def app_deployment(
    app_factory: Callable[[], Any],
    *,
    replicas: int,
    cpus_per_replica: float = 1.0,
    max_ongoing_requests: int = MAX_ONGOING_REQUESTS,
) -> Any:
    """A bound Ray Serve application: ``replicas`` copies of the ASGI app ``app_factory`` builds.

    ``app_factory`` must be a plain function (Serve treats any other callable as the app).
    """
    if replicas < 1:
        raise EngineError(f"replicas must be at least 1, got {replicas}")
    import_ray()
    from ray import serve

    deployment: Any = serve.deployment(
        name="PolysearchApp",
        num_replicas=replicas,
        ray_actor_options={"num_cpus": cpus_per_replica},
        max_ongoing_requests=max_ongoing_requests,
    )

    @serve.ingress(app_factory)
    class PolysearchApp:
        """Nothing of its own: the ingress is the app the factory returns."""

    return deployment(PolysearchApp).bind()


def start_http(*, host: str, port: int) -> None:
    """Serve's single HTTP proxy, on the head node only, at ``host:port``."""
    import_ray()
    from ray import serve

    serve.start(proxy_location="HeadOnly", http_options={"host": host, "port": port})


def run(application: Any, *, blocking: bool) -> None:
    import_ray()
    from ray import serve

    serve.run(application, name=APP_NAME, route_prefix="/", blocking=blocking)


def wait_replicas(replicas: int, *, timeout_s: float, name: str = APP_NAME) -> None:
    """Block until the app reports ``replicas`` running replicas (bounded by ``timeout_s``)."""
    import_ray()
    from ray import serve

    deadline = time.monotonic() + timeout_s
    while True:
        app = serve.status().applications.get(name)
        if app is not None:
            running = sum(_running(d.replica_states) for d in app.deployments.values())
            if app.status == "RUNNING" and running >= replicas:
                return
        if time.monotonic() > deadline:
            raise EngineError(f"{name}: {replicas} replicas not running after {timeout_s:.0f} s")
        time.sleep(0.5)


def _running(states: dict[Any, int]) -> int:
    # Keys are ReplicaState enum members (str-valued) in the Serve status schema.
    return sum(count for state, count in states.items() if str(getattr(state, "value", state)) == "RUNNING")


class DenseShardDeployment:
    """One shard: the vectors of rows ``[start, stop)`` of the live index, searched exactly."""

    def __init__(self, index_dir: str, start: int, stop: int) -> None:
        from indexer.engines.shards import LocalShard
        from indexer.store import load_index

        # A real deployment reads only its rows (memory-mapped); the small indexes this runs
        # on here load whole and slice.
        vectors = np.asarray(load_index(Path(index_dir)).embeddings[start:stop], dtype=np.float32)
        self.shard = LocalShard(vectors)

    def search(self, query: Vectors, k: int, allowed: Rows | None) -> tuple[Scores, Rows]:
        return self.shard.search(np.asarray(query, dtype=np.float32), k, allowed)


def shard_applications(
    index_dir: Path, n_rows: int, shards: int, *, cpus_per_shard: float = 1.0
) -> list[tuple[str, ShardRange, Any]]:
    """``(name, rows, bound application)`` of each of ``shards`` dense shard deployments."""
    import_ray()
    from ray import serve

    result = []
    for number, rows in enumerate(shard_ranges(n_rows, shards)):
        name = f"dense-shard-{number}"
        deployment = serve.deployment(name=name, num_replicas=1, ray_actor_options={"num_cpus": cpus_per_shard})(
            DenseShardDeployment
        )
        result.append((name, rows, deployment.bind(str(index_dir.resolve()), rows.start, rows.stop)))
    return result


class RemoteShard:
    """A ``ShardSearch`` that calls a shard deployment through its Serve handle."""

    def __init__(self, handle: Any) -> None:
        self.handle = handle

    def submit(self, query: Vectors, k: int, allowed: Rows | None) -> Any:
        return self.handle.search.remote(query, k, allowed)
