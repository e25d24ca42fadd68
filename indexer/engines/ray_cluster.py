"""Joining a Ray cluster from this process: the one place that imports ``ray`` for the core."""

from __future__ import annotations

import os
from types import ModuleType

from indexer.errors import EngineError

INSTALL_HINT = "the ray engine needs the optional extra: pip install 'polysearch[ray]'"


def import_ray() -> ModuleType:
    """``ray``, with usage reporting off; a clear error when the extra is not installed."""
    # Set before the import: Ray reads it when it starts, and an intranet install phones no one.
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    try:
        import ray
    except ImportError as exc:
        raise EngineError(INSTALL_HINT) from exc
    return ray


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
