"""Service settings: one frozen dataclass, read from ``POLYSEARCH_*`` environment variables once."""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from indexer.encoders.registry import BACKENDS
from indexer.insights.store import DEFAULT_RETENTION_DAYS, LOG_FILE
from service.errors import ConfigError

ENV_PREFIX = "POLYSEARCH_"
MAX_BODY_BYTES = 16 * 1024
# A full queue of 16 per core drains in a few tenths of a second: 16 clients on 2 cores waited
# 90 ms at p50 and 152 ms at p99 (docs/performance.md, "Latest run").
QUEUE_PER_CORE = 16
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})


def cpu_count() -> int:
    """Cores this process may run on (the affinity mask, not the machine's total)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """Everything the service can be told; ``from_env`` documents each variable."""

    index_dir: Path = Path("index")
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    cors_origins: tuple[str, ...] = ()
    admin_token: str | None = None
    log_level: str = "INFO"
    # Query text is personal data in an intranet; it is logged only when asked for.
    log_queries: bool = False
    # Origins allowed to frame the embeddable widget page (CSP frame-ancestors); none by default.
    frame_ancestors: tuple[str, ...] = ()
    # Threads that run encoding, search and answering; the event loop never does CPU work.
    compute_threads: int = field(default_factory=cpu_count)
    # Intra-op threads per torch call. compute_threads x torch_threads should not exceed the
    # cores, or concurrent requests fight over them and every one gets slower.
    torch_threads: int = 1
    # The encoder backend queries run on; None follows the index's manifest.
    backend: str | None = None
    max_body_bytes: int = MAX_BODY_BYTES
    # Requests allowed in the compute path at once (running or queued), sized from the cores;
    # beyond it a request is refused at once with 503 rather than queued behind the others.
    max_queue: int = field(default_factory=lambda: QUEUE_PER_CORE * cpu_count())
    # Queued work not started this long after its request arrived is dropped (503).
    queue_deadline_ms: int = 2000
    # How often each worker looks at CURRENT to follow a new index version (service/follower.py).
    follow_interval_ms: int = 1000
    # The query log (service/querylog.py): None puts it in the index folder, "off" disables it.
    query_log: str | None = None
    query_log_days: int = DEFAULT_RETENTION_DAYS
    # Set: the log stores an HMAC of each query's text instead of the text.
    query_log_key: str | None = None

    @property
    def query_log_path(self) -> Path | None:
        """Where the query log is written; None when it is off."""
        if self.query_log is None:
            return self.index_dir / LOG_FILE
        if self.query_log.lower() == "off":
            return None
        return Path(self.query_log)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Defaults, then ``POLYSEARCH_*`` variables, then explicit ``overrides`` (CLI flags).

        POLYSEARCH_INDEX_DIR, POLYSEARCH_HOST, POLYSEARCH_PORT, POLYSEARCH_WORKERS,
        POLYSEARCH_CORS_ORIGINS (comma separated), POLYSEARCH_ADMIN_TOKEN (unset or empty:
        /admin/reload is disabled), POLYSEARCH_LOG_LEVEL, POLYSEARCH_LOG_QUERIES (true/false),
        POLYSEARCH_FRAME_ANCESTORS (comma or space separated), POLYSEARCH_COMPUTE_THREADS,
        POLYSEARCH_TORCH_THREADS, POLYSEARCH_MAX_QUEUE, POLYSEARCH_QUEUE_DEADLINE_MS,
        POLYSEARCH_FOLLOW_INTERVAL_MS, POLYSEARCH_BACKEND (torch, onnx or onnx-int8; unset or empty:
        the backend the index was built with), POLYSEARCH_QUERY_LOG (a file, or ``off``; unset: in
        the index folder), POLYSEARCH_QUERY_LOG_DAYS (retention), POLYSEARCH_QUERY_LOG_KEY (store a
        keyed hash of each query instead of its text).
        """
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            value = env.get(ENV_PREFIX + name)
            return None if value is None else value.strip()

        values: dict[str, object] = {}
        if (index_dir := get("INDEX_DIR")) is not None:
            values["index_dir"] = Path(index_dir)
        if (host := get("HOST")) is not None:
            values["host"] = host
        for name in (
            "PORT",
            "WORKERS",
            "COMPUTE_THREADS",
            "TORCH_THREADS",
            "MAX_QUEUE",
            "QUEUE_DEADLINE_MS",
            "FOLLOW_INTERVAL_MS",
            "QUERY_LOG_DAYS",
        ):
            if (raw := get(name)) is not None:
                values[name.lower()] = _int(ENV_PREFIX + name, raw)
        if (origins := get("CORS_ORIGINS")) is not None:
            values["cors_origins"] = _list(origins)
        if (ancestors := get("FRAME_ANCESTORS")) is not None:
            values["frame_ancestors"] = _list(ancestors.replace(" ", ","))
        if (token := get("ADMIN_TOKEN")) is not None:
            values["admin_token"] = token or None
        if (level := get("LOG_LEVEL")) is not None:
            values["log_level"] = level
        if (backend := get("BACKEND")) is not None:
            values["backend"] = backend or None
        if (query_log := get("QUERY_LOG")) is not None:
            values["query_log"] = query_log or None
        if (log_key := get("QUERY_LOG_KEY")) is not None:
            values["query_log_key"] = log_key or None
        if (log_queries := get("LOG_QUERIES")) is not None:
            values["log_queries"] = _bool(ENV_PREFIX + "LOG_QUERIES", log_queries)
        values.update({key: value for key, value in overrides.items() if value is not None})
        return cls(**values).validated()  # type: ignore[arg-type]

    def validated(self) -> Settings:
        """``self`` when every value is usable; ``ConfigError`` naming the first that is not."""
        if not 0 < self.port < 65536:
            raise ConfigError(f"port must be between 1 and 65535, got {self.port}")
        for name in (
            "workers",
            "compute_threads",
            "torch_threads",
            "max_body_bytes",
            "max_queue",
            "queue_deadline_ms",
            "follow_interval_ms",
            "query_log_days",
        ):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1, got {getattr(self, name)}")
        if not isinstance(logging.getLevelName(self.log_level.upper()), int):
            raise ConfigError(f"log level must be one of DEBUG, INFO, WARNING, ERROR, got {self.log_level!r}")
        if self.backend is not None and self.backend not in BACKENDS:
            raise ConfigError(f"backend must be one of {', '.join(BACKENDS)} (or unset), got {self.backend!r}")
        if self.admin_token is not None and len(self.admin_token) < 16:
            raise ConfigError("the admin token must be at least 16 characters (or unset to disable /admin/reload)")
        return self

    def replace(self, **changes: object) -> Settings:
        return dataclasses.replace(self, **changes).validated()  # type: ignore[arg-type]


def _int(name: str, raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None


def _bool(name: str, raw: str) -> bool:
    if raw.lower() in _TRUE:
        return True
    if raw.lower() in _FALSE:
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


def _list(raw: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in raw.split(",") if item.strip())
