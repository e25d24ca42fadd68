"""The index follower: every worker serves the version ``CURRENT`` names, by watching it.

A build (``polysearch index``, a sync, a repair) ends by replacing ``CURRENT``; each worker
process polls that file and its manifest about once a second and, when they change, loads the
new version beside the live one and swaps it in (``IndexState.reload``), so no request fails
and no call is needed. Workers do not share memory, so they share a small status board in the
index directory (``.serving/``): each worker's version, heartbeat and last error, plus a reload
request that ``/admin/reload`` raises so every worker checks now instead of within the second.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from pathlib import Path

import msgspec

from indexer.store.layout import CURRENT, MANIFEST
from service.errors import ReloadError
from service.state import IndexState, ReloadOutcome

log = logging.getLogger(__name__)

STATUS_DIR = ".serving"
REQUEST_FILE = "reload-request"
# A worker whose heartbeat is older than this many poll intervals is taken to be gone.
STALE_INTERVALS = 5
MIN_STALE_S = 5.0

Signature = tuple[object, ...]


class WorkerStatus(msgspec.Struct, frozen=True, kw_only=True):
    """What one worker serves, as it last said (``updated`` is a wall-clock timestamp)."""

    worker: str
    pid: int
    version: str | None
    error: str | None
    handled_request: str
    updated: float


class StatusBoard:
    """One small JSON file per worker plus the reload request, in ``<index>/.serving``."""

    def __init__(self, directory: Path, worker: str) -> None:
        self.directory = directory
        self.worker = worker
        self._writable = True

    def _write(self, name: str, data: bytes) -> None:
        if not self._writable:
            return
        try:
            self.directory.mkdir(exist_ok=True)
            tmp = self.directory / f".{name}.{os.getpid()}.tmp"
            tmp.write_bytes(data)
            os.replace(tmp, self.directory / name)
        except OSError as exc:
            # A read-only index directory still serves; only the cross-worker report is lost.
            self._writable = False
            log.warning("status_board_unwritable", extra={"dir": str(self.directory), "reason": str(exc)})

    def publish(self, status: WorkerStatus) -> None:
        self._write(f"{self.worker}.json", msgspec.json.encode(status))

    def remove(self) -> None:
        with contextlib.suppress(OSError):
            (self.directory / f"{self.worker}.json").unlink()

    def workers(self, *, max_age_s: float) -> list[WorkerStatus]:
        """Every worker with a fresh heartbeat, sorted by id; unreadable files are skipped."""
        now = time.time()
        found = []
        for path in sorted(self.directory.glob("*.json")) if self.directory.is_dir() else ():
            try:
                status = msgspec.json.decode(path.read_bytes(), type=WorkerStatus)
            except (OSError, msgspec.DecodeError, msgspec.ValidationError):
                continue
            if now - status.updated <= max_age_s:
                found.append(status)
        return found

    def request(self) -> str:
        """The current reload request id ("" when none was ever made)."""
        try:
            return (self.directory / REQUEST_FILE).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError):
            return ""

    def raise_request(self) -> str:
        nonce = uuid.uuid4().hex
        self._write(REQUEST_FILE, nonce.encode())
        return nonce


def worker_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


def disk_signature(index_dir: Path) -> Signature:
    """Changes whenever ``CURRENT`` is replaced or the version it names is rewritten."""
    parts: list[object] = []
    pointer = index_dir / CURRENT
    try:
        info = pointer.stat()
        name = pointer.read_bytes().strip()
        parts += [info.st_ino, info.st_mtime_ns, name]
        manifest = (index_dir / name.decode("utf-8", "replace") / MANIFEST).stat()
        parts += [manifest.st_ino, manifest.st_mtime_ns, manifest.st_size]
    except (OSError, ValueError) as exc:
        parts.append(type(exc).__name__)
    return tuple(parts)


class IndexFollower:
    """Keeps one worker's ``IndexState`` on the version on disk; ``run`` is its polling loop."""

    def __init__(self, state: IndexState, *, interval_s: float, board: StatusBoard | None = None) -> None:
        self.state = state
        self.interval_s = interval_s
        self.board = board or StatusBoard(state.index_dir / STATUS_DIR, worker_id())
        self._seen: Signature | None = None
        self._handled = self.board.request()
        self.error: str | None = None
        self._lock = asyncio.Lock()

    @property
    def max_age_s(self) -> float:
        return max(MIN_STALE_S, STALE_INTERVALS * self.interval_s)

    def status(self) -> WorkerStatus:
        engine = self.state.peek()
        return WorkerStatus(
            worker=self.board.worker,
            pid=os.getpid(),
            version=engine.version if engine else None,
            error=self.error,
            handled_request=self._handled,
            updated=time.time(),
        )

    async def check(self, *, force: bool = False) -> ReloadOutcome | None:
        """Reload if the disk changed, a reload was requested, or ``force``; publish the result.

        Raises ``ReloadError`` only when forced; otherwise a failure is logged and kept for the
        status board, and the old engine keeps serving until the disk changes again.
        """
        async with self._lock:
            signature = await asyncio.to_thread(disk_signature, self.state.index_dir)
            request = await asyncio.to_thread(self.board.request)
            changed = signature != self._seen or request != self._handled
            outcome = None
            try:
                if changed or force:
                    outcome = await self.state.reload()
                    self.error = None
            except ReloadError as exc:
                self.error = str(exc)
                if force:
                    raise
            finally:
                self._seen, self._handled = signature, request
                await asyncio.to_thread(self.board.publish, self.status())
            return outcome

    async def prime(self) -> None:
        """Take the disk as it is before the first load, so the first poll does not reload it."""
        self._seen = await asyncio.to_thread(disk_signature, self.state.index_dir)

    async def run(self) -> None:
        """Poll until cancelled; never raises (one failed look must not stop the following)."""
        try:
            while True:
                try:
                    await self.check()
                except Exception as exc:  # keep following whatever one look hit
                    log.error("follower_check_failed", extra={"reason": f"{type(exc).__name__}: {exc}"})
                await asyncio.sleep(self.interval_s)
        finally:
            self.board.remove()

    async def reload_everywhere(self, *, timeout_s: float) -> tuple[ReloadOutcome, list[WorkerStatus]]:
        """Reload here now, ask every other worker to, and wait (bounded) until they say so."""
        nonce = await asyncio.to_thread(self.board.raise_request)
        outcome = await self.check(force=True)
        assert outcome is not None  # forced: a reload ran or raised
        deadline = time.monotonic() + timeout_s
        while True:
            workers = await asyncio.to_thread(self.board.workers, max_age_s=self.max_age_s)
            if all(w.handled_request == nonce for w in workers) or time.monotonic() > deadline:
                return outcome, workers
            await asyncio.sleep(min(0.05, self.interval_s))
