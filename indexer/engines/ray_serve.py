"""Ray Serve deployments: an ASGI app as N replicas behind one HTTP entry point, and dense shards.

The core does not know the service: callers hand in an app factory, which each replica calls
once at start with what it knows of itself (``Replica``: its id, and the dense shards it
searches). Ray Serve runs the app's lifespan, so whatever the app does at start-up — loading
the index, following ``CURRENT`` — every replica does too.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import socket
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import msgspec
import numpy as np

from indexer.encoders.base import Vectors
from indexer.engines.ray_cluster import import_ray
from indexer.engines.shards import LocalShard, Rows, Scores, ShardedDense, ShardRange, shard_ranges
from indexer.errors import EngineError
from indexer.store.dense import DenseIndex
from indexer.store.layout import live_version_dir
from indexer.store.loaded import LoadedIndex
from indexer.store.reader import load_version

APP_NAME = "polysearch"
INGRESS = "PolysearchApp"
# Requests one replica holds at once; more wait in the proxy's queue for a free replica.
MAX_ONGOING_REQUESTS = 16
# Versions a shard keeps loaded: the live one and the one before it, which requests that
# began before a replica swapped versions may still be searching.
SHARD_VERSIONS_KEPT = 2
# A replica waits this long for its shards to hold a new version before giving up the load.
SHARD_PREPARE_TIMEOUT_S = 300.0


def version_key(index: LoadedIndex) -> tuple[str, str]:
    """(version directory, manifest digest): a version rebuilt under the same name is a new key."""
    return index.directory.name, hashlib.sha256(msgspec.json.encode(index.manifest)).hexdigest()


class DenseShardDeployment:
    """Shard ``number`` of ``shards``: the vectors of its rows of each version the replicas serve.

    The rows are ``shard_ranges(passages, shards)[number]`` of that version, so a replica and
    its shards agree on the split without being told it. A shard follows the live version as
    the replicas do: it loads ``CURRENT``'s version at start, and each replica asks it to
    ``prepare`` the version it is about to swap in before serving it; a version asked for that
    is not loaded (a restarted shard) is loaded then.
    """

    def __init__(self, index_dir: str, number: int, shards: int) -> None:
        self.index_dir = Path(index_dir)
        self.number = number
        self.shards = shards
        self._loaded: OrderedDict[tuple[str, str], tuple[ShardRange, LocalShard]] = OrderedDict()
        self._versions: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()
        self.searches = 0
        # Best effort: without a live version yet, the first replica's request loads one.
        try:
            live = load_version(live_version_dir(self.index_dir))
        except Exception:  # any: an unloadable index is the replicas' to report
            return
        self._keep(version_key(live), live)

    def _keep(self, key: tuple[str, str], index: LoadedIndex) -> tuple[ShardRange, LocalShard]:
        rows = shard_ranges(len(index.passages), self.shards)[self.number]
        # The version is loaded (and verified) whole; only this shard's rows stay in memory, as
        # a flat index of their own. The rest is dropped with ``index``.
        vectors = np.asarray(index.embeddings[rows.start : rows.stop], dtype=np.float32)
        entry = rows, LocalShard(vectors.reshape(-1, index.manifest.model.dimension))
        self._loaded[key] = entry
        self._versions[key] = index.version
        while len(self._loaded) > SHARD_VERSIONS_KEPT:
            self._versions.pop(self._loaded.popitem(last=False)[0], None)
        return entry

    def _entry(self, name: str, digest: str) -> tuple[ShardRange, LocalShard]:
        with self._lock:
            key = (name, digest)
            entry = self._loaded.get(key)
            if entry is not None:
                self._loaded.move_to_end(key)
                return entry
            index = load_version(self.index_dir / name)
            if version_key(index) != key:
                raise EngineError(f"shard {self.number}: version {name} on disk is not the one asked for")
            return self._keep(key, index)

    def prepare(self, name: str, digest: str) -> tuple[int, int]:
        """Hold version ``name`` (loading it if needed); its rows in this shard."""
        rows, _ = self._entry(name, digest)
        return rows.start, rows.stop

    def search(self, name: str, digest: str, query: Vectors, k: int, allowed: Rows | None) -> tuple[Scores, Rows]:
        _, shard = self._entry(name, digest)
        self.searches += 1
        return shard.search(np.asarray(query, dtype=np.float32), k, allowed)

    def versions(self) -> list[str]:
        """The index versions this shard holds, least recently used first (for tests and operators)."""
        with self._lock:
            return [self._versions[key] for key in self._loaded]

    def status(self) -> dict[str, object]:
        """The versions held and the searches answered since start (for tests and operators)."""
        return {"shard": self.number, "versions": self.versions(), "searches": self.searches}


class RemoteShard:
    """A ``ShardSearch`` over one version held by a shard deployment, through its Serve handle."""

    def __init__(self, handle: Any, key: tuple[str, str]) -> None:
        self.handle = handle
        self.key = key

    def submit(self, query: Vectors, k: int, allowed: Rows | None) -> Any:
        return self.handle.search.remote(*self.key, query, k, allowed)


@dataclass(frozen=True, slots=True)
class Replica:
    """What one replica knows of itself: its id (Serve's, plus host and pid) and its dense shards."""

    name: str
    shards: tuple[Any, ...] = ()

    def prepare_index(self, index: LoadedIndex) -> LoadedIndex:
        """``index`` with its dense search on the shards, once every shard holds its version.

        Called by the replica whenever it loads a version (start-up and each follow), before
        the version serves, so a request never reaches a shard that lacks its version.
        """
        if not self.shards:
            return index
        key = version_key(index)
        ranges = shard_ranges(len(index.passages), len(self.shards))
        pending = [handle.prepare.remote(*key) for handle in self.shards]
        held = [ShardRange(*answer.result(timeout_s=SHARD_PREPARE_TIMEOUT_S)) for answer in pending]
        if held != ranges:
            raise EngineError(f"shards hold rows {held}, version {key[0]} needs {ranges}")
        sharded = ShardedDense(
            [RemoteShard(handle, key) for handle in self.shards], ranges, dimension=index.manifest.model.dimension
        )
        # The retriever calls only ``dense.search``, whose contract ShardedDense keeps.
        return dataclasses.replace(index, dense=cast(DenseIndex, sharded))


def _replica_name() -> str:
    import_ray()
    from ray import serve

    try:
        serve_id = serve.get_replica_context().replica_id.unique_id
    except Exception:  # any: outside a replica (a test calling the factory) there is none
        serve_id = "local"
    return f"{serve_id}@{socket.gethostname()}-{os.getpid()}"


def app_deployment(
    app_factory: Callable[[Replica], Any],
    *,
    replicas: int,
    index_dir: Path | None = None,
    shards: int = 0,
    cpus_per_replica: float = 1.0,
    cpus_per_shard: float = 1.0,
    max_ongoing_requests: int = MAX_ONGOING_REQUESTS,
) -> Any:
    """A bound Ray Serve application: ``replicas`` copies of the ASGI app ``app_factory`` builds.

    With ``shards`` > 0, also ``shards`` dense shard deployments over ``index_dir`` (one replica
    each), whose handles every app replica gets in its ``Replica``.
    """
    if replicas < 1:
        raise EngineError(f"replicas must be at least 1, got {replicas}")
    if shards < 0:
        raise EngineError(f"shards must be at least 0, got {shards}")
    if shards and index_dir is None:
        raise EngineError("dense shards need the index directory")
    import_ray()
    from ray import serve

    deployment: Any = serve.deployment(
        name=INGRESS,
        num_replicas=replicas,
        ray_actor_options={"num_cpus": cpus_per_replica},
        max_ongoing_requests=max_ongoing_requests,
    )

    # Late-bound ingress: Serve calls ``__serve_build_asgi_app__`` on each replica after the
    # constructor, which receives the shard deployments' handles.
    @serve.ingress()
    class PolysearchApp:
        """Nothing of its own: the ingress is the app the factory returns."""

        def __init__(self, *shard_handles: Any) -> None:
            self.shard_handles = shard_handles

        def __serve_build_asgi_app__(self) -> Any:
            return app_factory(Replica(name=_replica_name(), shards=tuple(self.shard_handles)))

    bound_shards = [
        shard.bind(str(cast(Path, index_dir).resolve()), number, shards)
        for number, shard in enumerate(shard_deployments(shards, cpus_per_shard=cpus_per_shard))
    ]
    return deployment(PolysearchApp).bind(*bound_shards)


def shard_deployments(shards: int, *, cpus_per_shard: float = 1.0) -> list[Any]:
    """One Serve deployment (one replica) per shard, named ``dense-shard-<number>``."""
    import_ray()
    from ray import serve

    return [
        serve.deployment(name=f"dense-shard-{number}", num_replicas=1, ray_actor_options={"num_cpus": cpus_per_shard})(
            DenseShardDeployment
        )
        for number in range(shards)
    ]


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
            # The app's own replicas; its shard deployments (if any) count toward ``app.status``.
            running = sum(_running(d.replica_states) for n, d in app.deployments.items() if n == INGRESS)
            if app.status == "RUNNING" and running >= replicas:
                return
        if time.monotonic() > deadline:
            raise EngineError(f"{name}: {replicas} replicas not running after {timeout_s:.0f} s")
        time.sleep(0.5)


def _running(states: dict[Any, int]) -> int:
    # Keys are ReplicaState enum members (str-valued) in the Serve status schema.
    return sum(count for state, count in states.items() if str(getattr(state, "value", state)) == "RUNNING")


def shard_handles(shards: int, *, app_name: str = APP_NAME) -> list[Any]:
    """Handles to the app's shard deployments, from a driver (tests, operators)."""
    import_ray()
    from ray import serve

    return [serve.get_deployment_handle(f"dense-shard-{number}", app_name=app_name) for number in range(shards)]
