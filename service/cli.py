"""``polysearch serve``: run the HTTP service under uvicorn."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import socket
from pathlib import Path
from typing import Any

from indexer.commands.options import non_negative_int, positive_int
from service.compute import prepare_environment
from service.config import ENV_PREFIX, Settings
from service.errors import ConfigError
from service.observability import configure_service_logging
from service.server import HEADER_TIMEOUT_PROTOCOL
from service.startup import ReadyAnnouncer, check_index, listening_socket, ready_url

log = logging.getLogger(__name__)

# Seconds a shutdown waits for in-flight requests before closing connections.
GRACEFUL_SHUTDOWN_S = 10
# Seconds an idle keep-alive connection stays open.
KEEP_ALIVE_S = 5


def port_number(text: str) -> int:
    value = positive_int(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"must be at most 65535, got {value}")
    return value


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "serve",
        help="run the search and question-answering HTTP service",
        description="Flags override POLYSEARCH_* environment variables (see docs/service.md, 'Configuration').",
    )
    parser.add_argument(
        "--index", type=Path, default=None, help="index directory (default: $POLYSEARCH_INDEX_DIR or index)"
    )
    parser.add_argument("--host", default=None, help="address to bind (default: $POLYSEARCH_HOST or 127.0.0.1)")
    parser.add_argument("--port", type=port_number, default=None, help="port (default: $POLYSEARCH_PORT or 8000)")
    parser.add_argument(
        "--workers",
        type=positive_int,
        default=None,
        help="processes, each with its own model copy (default: $POLYSEARCH_WORKERS or 1)",
    )
    parser.add_argument(
        "--engine", choices=["local", "ray"], default="local", help="local: uvicorn; ray: Ray Serve replicas"
    )
    parser.add_argument("--replicas", type=positive_int, default=2, help="Ray Serve replicas (with --engine ray)")
    parser.add_argument("--ray-address", default=None, help="head of the Ray cluster (default: start one here)")
    parser.add_argument(
        "--shards",
        type=non_negative_int,
        default=0,
        help="with --engine ray: dense search split over this many shard deployments (default 0: none)",
    )
    parser.add_argument(
        "--shard-cpus",
        type=non_negative_float,
        default=1.0,
        help="CPUs Ray reserves for each shard (default 1; 0 places shards wherever memory allows)",
    )
    parser.set_defaults(handler=run_serve)


def non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a number at least 0, got {text!r}")
    return value


def environment_of(settings: Settings) -> dict[str, str]:
    """The variables that make ``Settings.from_env`` in a worker process equal ``settings``."""
    env = {
        "INDEX_DIR": str(settings.index_dir.resolve()),
        "HOST": settings.host,
        "PORT": str(settings.port),
        "WORKERS": str(settings.workers),
        "CORS_ORIGINS": ",".join(settings.cors_origins),
        "FRAME_ANCESTORS": ",".join(settings.frame_ancestors),
        "ADMIN_TOKEN": settings.admin_token or "",
        "LOG_LEVEL": settings.log_level,
        "LOG_QUERIES": "true" if settings.log_queries else "false",
        "COMPUTE_THREADS": str(settings.compute_threads),
        "TORCH_THREADS": str(settings.torch_threads),
        "MAX_QUEUE": str(settings.max_queue),
        "QUEUE_DEADLINE_MS": str(settings.queue_deadline_ms),
        "FOLLOW_INTERVAL_MS": str(settings.follow_interval_ms),
        "BACKEND": settings.backend or "",
    }
    return {ENV_PREFIX + name: value for name, value in env.items()}


def run_serve(args: argparse.Namespace) -> int:
    prepare_environment()
    settings = Settings.from_env(
        index_dir=args.index, host=args.host, port=args.port, workers=args.workers, log_level=args.log_level
    )
    # Fail now, with one line, rather than serve 503s for an index that was never built.
    check_index(settings.index_dir)
    if args.engine == "ray":
        configure_service_logging(settings.log_level)
        # Imported here: the default install has no ray, and a plain serve never loads it.
        from service.ray_app import serve_on_ray

        return serve_on_ray(
            settings,
            replicas=args.replicas,
            address=args.ray_address,
            shards=args.shards,
            cpus_per_shard=args.shard_cpus,
        )
    if args.shards:
        raise ConfigError("--shards splits dense search over Ray deployments: it needs --engine ray")
    # Taken before anything is logged: a busy port is one line, not the log of a start and a shutdown.
    sock = listening_socket(settings.host, settings.port)
    configure_service_logging(settings.log_level)
    # Worker processes are spawned fresh and read their settings from the environment.
    os.environ.update(environment_of(settings))
    log.info(
        "serving",
        extra={
            "url": ready_url(settings.host, settings.port),
            "index_dir": str(settings.index_dir),
            "workers": settings.workers,
            "compute_threads": settings.compute_threads,
            "torch_threads": settings.torch_threads,
            "backend": settings.backend or "manifest",
            "admin": settings.admin_token is not None,
        },
    )
    with sock, ReadyAnnouncer(settings.host, settings.port):
        return run_uvicorn(settings, sock)


def run_uvicorn(settings: Settings, sock: socket.socket) -> int:
    """uvicorn on the socket already bound (what ``uvicorn.run`` does once it has bound one)."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    config = uvicorn.Config(
        "service.app:app_from_env",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        **server_options(),
    )
    if settings.workers > 1:
        # The supervisor handles Ctrl-C and SIGTERM itself and returns once its workers are gone.
        Multiprocess(config, sockets=[sock]).run()
        return 0
    server = uvicorn.Server(config)
    # uvicorn re-raises the Ctrl-C it has already handled by shutting down.
    with contextlib.suppress(KeyboardInterrupt):
        server.run(sockets=[sock])
    # Never started: the app's startup failed, and uvicorn has logged why.
    return 0 if server.started else 1


def server_options() -> dict[str, Any]:
    """How uvicorn runs the service, shared with the tests that run it in-process."""
    return {
        "log_config": None,
        "access_log": False,
        "timeout_graceful_shutdown": GRACEFUL_SHUTDOWN_S,
        "timeout_keep_alive": KEEP_ALIVE_S,
        # Request headers slower than service.server.HEADER_TIMEOUT_S are cut off (slowloris).
        "http": HEADER_TIMEOUT_PROTOCOL,
        # The server's make and version are nobody's business.
        "server_header": False,
    }
