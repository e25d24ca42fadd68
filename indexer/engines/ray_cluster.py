"""Joining a Ray cluster from this process: the one place that imports ``ray`` for the core."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path
from types import ModuleType

from indexer.errors import EngineError

INSTALL_HINT = "the ray engine needs the optional extra: pip install 'polysearch[ray]'"
# Ray Serve's proxy sends requests to replicas on its own node first (by default), and a
# replica takes up to MAX_ONGOING_REQUESTS at once: with the one proxy on the head, the head's
# replica answered every request of the cluster test while the other stood idle. Serve's
# processes read this when they start, from the environment of the `ray start` that made
# their node; a cluster started here gets it, a real head needs it in its environment.
SPREAD_REQUESTS = {"RAY_SERVE_PROXY_PREFER_LOCAL_NODE_ROUTING": "0"}


def _spread_requests() -> None:
    for name, value in SPREAD_REQUESTS.items():
        os.environ.setdefault(name, value)


def import_ray() -> ModuleType:
    """``ray``, with usage reporting off; a clear error when the extra is not installed."""
    # Set before the import: Ray reads it when it starts, and an intranet install phones no one.
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    try:
        import ray
    except ImportError as exc:
        raise EngineError(INSTALL_HINT) from exc
    # Typed through a variable: without the extra installed, mypy sees ``ray`` as Any.
    module: ModuleType = ray
    return module


def connect(address: str | None) -> ModuleType:
    """Join the cluster at ``address`` (``host:port`` of the head), or start one on this machine.

    A cluster started here binds to loopback only and has no dashboard: it is for trying
    the engine on one machine, not for serving others.
    """
    ray = import_ray()
    if ray.is_initialized():
        return ray
    try:
        if address:
            ray.init(address=address, logging_level="WARNING", log_to_driver=False)
        else:
            _spread_requests()
            ray.init(
                include_dashboard=False,
                _node_ip_address="127.0.0.1",
                logging_level="WARNING",
                log_to_driver=False,
            )
    except (ConnectionError, RuntimeError, ValueError) as exc:
        where = address or "a local cluster"
        raise EngineError(f"cannot join Ray at {where}: {str(exc).strip().splitlines()[0]}") from exc
    return ray


def _ray_cli() -> str:
    return str(Path(sys.executable).parent / "ray")


def _ray_start(*args: str) -> None:
    done = subprocess.run([_ray_cli(), "start", *args], capture_output=True, text=True, timeout=180)
    if done.returncode != 0:
        raise EngineError(f"ray start {' '.join(args)} failed: {done.stderr.strip()[-2000:]}")


def start_local_nodes(
    nodes: int, *, temp_dir: Path, port: int, cpus_per_node: int = 1, object_store_bytes: int = 150_000_000
) -> str:
    """A head and ``nodes - 1`` more nodes on this machine, all on 127.0.0.1; returns the address.

    For tests and benchmarks, run inside a network namespace: one machine standing in for
    several, with each node's CPUs capped so work has to spread across them.
    """
    if "RAY_AUTH_TOKEN" not in os.environ:
        # Ray 2.60 starts a head with token authentication on; the other nodes and this
        # process (which starts no head) must present the same token, so make one for all.
        os.environ["RAY_AUTH_MODE"] = "token"
        os.environ["RAY_AUTH_TOKEN"] = secrets.token_hex(32)
    _spread_requests()
    common = [
        "--node-ip-address=127.0.0.1",
        f"--num-cpus={cpus_per_node}",
        f"--object-store-memory={object_store_bytes}",
        "--disable-usage-stats",
    ]
    _ray_start("--head", f"--port={port}", "--include-dashboard=false", f"--temp-dir={temp_dir}", *common)
    address = f"127.0.0.1:{port}"
    for _ in range(nodes - 1):
        _ray_start(f"--address={address}", *common)
    return address


def stop_local_nodes() -> None:
    """Stop every Ray process this machine (or this PID namespace) runs."""
    ray = sys.modules.get("ray")
    if ray is not None and ray.is_initialized():
        # Leave first: a driver whose cluster vanishes under it is terminated by Ray itself.
        ray.shutdown()
    subprocess.run([_ray_cli(), "stop", "--force"], capture_output=True, timeout=120)
