"""The query log's writer: rows go on a bounded queue and a thread writes them to SQLite in batches.

No request waits on the disk: ``submit`` only appends to the queue. When the queue is full, or
a batch cannot be written (a full disk, a file another process holds locked, a read-only
folder), its rows are dropped and counted (``polysearch_query_log_dropped_total``); a search
never fails because of the log.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import queue
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from indexer.insights import store
from indexer.insights.store import Feedback, LoggedQuery, Row
from indexer.models import AskResult, SearchFilters
from indexer.search.query import Query
from service.metrics import Gauge, Metrics

log = logging.getLogger(__name__)

QUEUE_ROWS = 10_000
BATCH_ROWS = 500
FLUSH_INTERVAL_S = 0.5
PRUNE_INTERVAL_S = 3600.0
# Query ids this process handed out (about 300 bytes each), kept so feedback on them is accepted
# before their batch is written; older ones are looked up in the file.
RECENT_IDS = 20_000
_STOP = object()


@dataclass(frozen=True, slots=True)
class Logged:
    """What feedback on a logged query needs of it."""

    answered: bool | None
    top_ids: tuple[str, ...]


def new_query_id() -> str:
    """Random, so it says nothing about who asked or when."""
    return secrets.token_hex(12)


class QueryLog:
    """The writer thread, its queue and its counters; ``start`` and ``close`` follow the app's lifespan."""

    def __init__(
        self,
        path: Path,
        *,
        key: str | None = None,
        days: int = store.DEFAULT_RETENTION_DAYS,
        queue_rows: int = QUEUE_ROWS,
        batch_rows: int = BATCH_ROWS,
        flush_interval_s: float = FLUSH_INTERVAL_S,
    ) -> None:
        self.path = path
        self.key = key
        self.days = days
        self.batch_rows = batch_rows
        self.flush_interval_s = flush_interval_s
        self._queue: queue.Queue[object] = queue.Queue(maxsize=queue_rows)
        self._thread: threading.Thread | None = None
        self._connection: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        self._recent: collections.OrderedDict[str, Logged] = collections.OrderedDict()
        self._last_prune = 0.0
        self._idle = threading.Condition()
        self._pending = 0
        self.written = 0
        self.dropped = 0

    # -- the request side: never blocks, never raises --------------------------------------

    def text(self, query: str) -> tuple[str, bool]:
        """What the log stores for ``query``: the keyed hash when a key is set, else the text."""
        if self.key:
            return store.keyed_hash(query, self.key), True
        return query, False

    def submit(self, row: Row) -> bool:
        """Queue ``row`` for the writer; False (and counted as dropped) when the queue is full."""
        with self._idle:
            self._pending += 1
        try:
            self._queue.put_nowait(row)
        except queue.Full:
            self._drop(1)
            self._done(1)
            return False
        if isinstance(row, LoggedQuery):
            with self._lock:
                self._recent[row.id] = Logged(answered=row.answered, top_ids=tuple(row.top_ids))
                if len(self._recent) > RECENT_IDS:
                    self._recent.popitem(last=False)
        return True

    def issued(self, query_id: str) -> Logged | None:
        """What this process logged as ``query_id`` recently (its row may not be on disk yet)."""
        with self._lock:
            return self._recent.get(query_id)

    def find(self, query_id: str) -> Logged | None:
        """``issued`` here, or written to the log by any process; blocking (a read), so call it in a thread."""
        if (found := self.issued(query_id)) is not None:
            return found
        try:
            connection = store.open_readonly(self.path)
            try:
                row = store.read_query(connection, query_id)
            finally:
                connection.close()
        except sqlite3.Error:
            return None
        return None if row is None else Logged(answered=row.answered, top_ids=tuple(row.top_ids))

    # -- the writer thread -----------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="polysearch-query-log", daemon=True)
        self._thread.start()

    def close(self, timeout_s: float = 5.0) -> None:
        """Write what is queued, then stop the thread (rows still queued after ``timeout_s`` are lost)."""
        if self._thread is None:
            return
        with contextlib.suppress(queue.Full):
            self._queue.put(_STOP, timeout=timeout_s)
        self._thread.join(timeout_s)
        self._thread = None
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def flush(self, timeout_s: float = 10.0) -> bool:
        """Wait until every row submitted so far is written or dropped (tests, shutdown)."""
        deadline = time.monotonic() + timeout_s
        with self._idle:
            while self._pending:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(left)
        return True

    def _run(self) -> None:
        stopping = False
        while not stopping:
            batch: list[Row] = []
            try:
                first = self._queue.get(timeout=self.flush_interval_s)
            except queue.Empty:
                self._maybe_prune()
                continue
            if first is _STOP:
                break
            batch.append(first)  # type: ignore[arg-type]
            while len(batch) < self.batch_rows:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    stopping = True
                    break
                batch.append(item)  # type: ignore[arg-type]
            self._write(batch)
            self._maybe_prune()

    def _write(self, batch: list[Row]) -> None:
        try:
            connection = self._connect()
            store.write_rows(connection, batch)
        except (sqlite3.Error, OSError) as exc:
            # A full disk, a locked or read-only file: the rows go, the requests they came from did not wait.
            self._drop(len(batch))
            self._reset()
            log.warning("query_log_dropped", extra={"rows": len(batch), "reason": f"{type(exc).__name__}: {exc}"})
        else:
            self.written += len(batch)
        finally:
            self._done(len(batch))

    def _connect(self) -> sqlite3.Connection:
        if self._connection is None:
            self._connection = store.connect(self.path)
        return self._connection

    def _reset(self) -> None:
        # Reopened for the next batch: the file may have been replaced or the lock released.
        if self._connection is not None:
            with contextlib.suppress(sqlite3.Error):
                self._connection.close()
            self._connection = None

    def _maybe_prune(self) -> None:
        now = time.time()
        if now - self._last_prune < PRUNE_INTERVAL_S:
            return
        self._last_prune = now
        try:
            gone = store.prune(self._connect(), days=self.days, now=now)
        except (sqlite3.Error, OSError) as exc:
            self._reset()
            log.warning("query_log_prune_failed", extra={"reason": f"{type(exc).__name__}: {exc}"})
            return
        if gone:
            log.info("query_log_pruned", extra={"rows": gone, "days": self.days})

    def _drop(self, rows: int) -> None:
        with self._lock:
            self.dropped += rows

    def _done(self, rows: int) -> None:
        with self._idle:
            self._pending -= rows
            if self._pending <= 0:
                self._idle.notify_all()


def query_log_of(state: Any) -> QueryLog | None:
    """The app's query log, or None when logging is off."""
    found = getattr(state, "query_log", None)
    return found if isinstance(found, QueryLog) else None


def feedback_row(query_id: str, article_id: str | None, verdict: str, reason: str | None) -> Feedback:
    return Feedback(ts=time.time(), query_id=query_id, article_id=article_id, verdict=verdict, reason=reason)


ANSWERS_METRIC = "ask_outcomes_total"
FEEDBACK_METRIC = "feedback_total"
# Article ids kept per logged query: what a judgment can point at, and enough to see what came back.
TOP_IDS = 10


def filters_record(filters: SearchFilters | None) -> dict[str, object] | None:
    """The filters a request set, as the log stores them (None: none set)."""
    if filters is None or filters.is_empty:
        return None
    record: dict[str, object] = {}
    if filters.date_from is not None:
        record["date_from"] = filters.date_from.isoformat()
    if filters.date_to is not None:
        record["date_to"] = filters.date_to.isoformat()
    if filters.article_ids is not None:
        record["article_ids"] = sorted(filters.article_ids)
    if filters.langs is not None:
        record["langs"] = sorted(filters.langs)
    return record


class _Result(Protocol):
    """A passage or an article of a response: either names its article."""

    @property
    def article_id(self) -> str: ...


def _top_ids(article_ids: Iterable[str]) -> list[str]:
    ids: list[str] = []
    for article_id in article_ids:
        if article_id not in ids:
            ids.append(article_id)
        if len(ids) == TOP_IDS:
            break
    return ids


def inferred_record(query: Query) -> dict[str, object] | None:
    """What the query's own words said about time (the window, whether it filtered, 'latest'); None if nothing."""
    time_read = query.time
    if time_read.is_empty:
        return None
    return {
        "date_from": None if time_read.date_from is None else time_read.date_from.isoformat(),
        "date_to": None if time_read.date_to is None else time_read.date_to.isoformat(),
        "filter": time_read.filter,
        "recency": time_read.recency,
        "text": time_read.text,
    }


def record_search(
    state: Any,
    query: Query,
    mode: str,
    filters: SearchFilters | None,
    results: Sequence[_Result],
    total: int,
    took_ms: float,
    *,
    inferred: dict[str, object] | None = None,
) -> str | None:
    """Log one search (``results``: the page returned, ``total``: all that matched); its query id, or None when off."""
    query_log = query_log_of(state)
    if query_log is None:
        return None
    text, hashed = query_log.text(query.text)
    row = LoggedQuery(
        id=new_query_id(), ts=time.time(), endpoint="search", query=text, hashed=hashed, lang=query.lang, mode=mode,
        filters=filters_record(filters), inferred=inferred or inferred_record(query),
        top_ids=_top_ids(r.article_id for r in results), hits=total,
        latency_ms=took_ms,
    )  # fmt: skip
    return row.id if query_log.submit(row) else None


def record_ask(
    state: Any,
    query: Query,
    filters: SearchFilters | None,
    result: AskResult,
    took_ms: float,
    *,
    inferred: dict[str, object] | None = None,
) -> str | None:
    """Count the outcome of one question and log it; its query id, or None when logging is off."""
    kind = None if not result.abstained else store.reason_kind(result.reason, len(result.citations))
    metrics = getattr(state, "metrics", None)
    if isinstance(metrics, Metrics):
        outcome = {"outcome": "answered"} if kind is None else {"outcome": "abstained", "reason": kind}
        metrics.count(ANSWERS_METRIC, "Questions answered, and abstained by reason kind.", outcome)
    query_log = query_log_of(state)
    if query_log is None:
        return None
    text, hashed = query_log.text(query.text)
    ids = _top_ids(hit.passage.article_id for hit in result.citations)
    if result.answer is not None:
        # The answer's article first: a judgment on the answer card points at it.
        ids = [result.answer.article_id, *(i for i in ids if i != result.answer.article_id)][:TOP_IDS]
    row = LoggedQuery(
        id=new_query_id(), ts=time.time(), endpoint="ask", query=text, hashed=hashed, lang=query.lang, mode="hybrid",
        filters=filters_record(filters), inferred=inferred or inferred_record(query), top_ids=ids,
        hits=len(result.citations),
        answered=not result.abstained, reason=result.reason, reason_kind=kind, latency_ms=took_ms,
    )  # fmt: skip
    return row.id if query_log.submit(row) else None


def query_log_gauges(state: Any) -> list[Gauge]:
    """The log's counters for /metrics (dropped rows are reported as 0 when logging is off)."""
    query_log = query_log_of(state)
    dropped = query_log.dropped if query_log is not None else 0
    written = query_log.written if query_log is not None else 0
    return [
        Gauge("query_log_dropped_total", "Query log rows dropped (queue full, disk full, file locked).",
              float(dropped), kind="counter"),
        Gauge("query_log_written_total", "Query log rows written.", float(written), kind="counter"),
    ]  # fmt: skip
