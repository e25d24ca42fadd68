"""The query log on disk: one SQLite file of logged queries and the feedback given on them.

Rows hold no address and no user identity: a query's id is random, and with a key the query
text itself is replaced by its keyed hash (HMAC-SHA256), so equal questions still group.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import msgspec

LOG_FILE = "querylog.sqlite3"
DEFAULT_RETENTION_DAYS = 90
HASH_PREFIX = "hmac:"
VERDICTS = ("yes", "no")
FEEDBACK_REASONS = ("wrong", "outdated", "incomplete", "off-topic")
# An abstention is "nothing found" when retrieval returned no passage at all; otherwise the
# archive had passages and the answerer judged none of them an answer.
REASON_KINDS = ("nothing_found", "low_confidence", "unsupported")
_LOW_CONFIDENCE = "the closest passages do not match the question closely enough"
# Seconds a writer waits for another process's lock before it gives the batch up as dropped.
BUSY_TIMEOUT_S = 0.05

_SCHEMA = """
CREATE TABLE IF NOT EXISTS queries (
    id TEXT PRIMARY KEY,
    ts REAL NOT NULL,
    endpoint TEXT NOT NULL,
    query TEXT NOT NULL,
    hashed INTEGER NOT NULL,
    lang TEXT NOT NULL,
    mode TEXT NOT NULL,
    filters TEXT,
    inferred TEXT,
    top_ids TEXT NOT NULL,
    hits INTEGER NOT NULL,
    answered INTEGER,
    reason TEXT,
    reason_kind TEXT,
    latency_ms REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS queries_ts ON queries (ts);
CREATE TABLE IF NOT EXISTS feedback (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    ts REAL NOT NULL,
    query_id TEXT NOT NULL,
    article_id TEXT,
    verdict TEXT NOT NULL,
    reason TEXT
);
CREATE INDEX IF NOT EXISTS feedback_query ON feedback (query_id);
CREATE INDEX IF NOT EXISTS feedback_ts ON feedback (ts);
"""


class LoggedQuery(msgspec.Struct, frozen=True, kw_only=True):
    """One /search or /ask request as the log keeps it."""

    id: str
    ts: float
    endpoint: str  # "search" or "ask"
    query: str  # the text, or "hmac:<hex>" when a key is set
    hashed: bool
    lang: str
    mode: str
    # The filters the request set, and those inferred from its text (None: nothing inferred).
    filters: dict[str, object] | None = None
    inferred: dict[str, object] | None = None
    top_ids: list[str] = msgspec.field(default_factory=list)
    hits: int = 0
    # None for a search; for a question, whether it was answered and if not why.
    answered: bool | None = None
    reason: str | None = None
    reason_kind: str | None = None
    latency_ms: float = 0.0


class Feedback(msgspec.Struct, frozen=True, kw_only=True):
    """A verdict on an answer (``article_id`` of the answer) or on one result."""

    ts: float
    query_id: str
    article_id: str | None
    verdict: str
    reason: str | None = None


Row = LoggedQuery | Feedback


def reason_kind(reason: str | None, hits: int) -> str:
    """The coarse kind of an abstention, for counting: see ``REASON_KINDS``."""
    if hits == 0:
        return "nothing_found"
    if reason == _LOW_CONFIDENCE:
        return "low_confidence"
    return "unsupported"


def keyed_hash(text: str, key: str) -> str:
    """The text as the log stores it under a key: equal texts hash alike, none can be read back."""
    digest = hmac.new(key.encode(), text.strip().casefold().encode(), hashlib.sha256).hexdigest()
    return HASH_PREFIX + digest


def connect(path: Path, *, timeout_s: float = BUSY_TIMEOUT_S) -> sqlite3.Connection:
    """The log at ``path``, its tables created if new; WAL so the report reads while the service writes."""
    connection = sqlite3.connect(path, timeout=timeout_s, isolation_level=None, check_same_thread=False)
    try:
        with contextlib.suppress(sqlite3.OperationalError):  # a read-only or locked file: keep the mode it has
            connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.executescript(_SCHEMA)
    except BaseException:
        connection.close()
        raise
    return connection


def open_readonly(path: Path) -> sqlite3.Connection:
    """The log for reading (the report): never created, never written."""
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False)


def _json(value: object) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def write_rows(connection: sqlite3.Connection, rows: Sequence[Row]) -> None:
    """Every row in one transaction: a batch is written whole or not at all."""
    queries = [r for r in rows if isinstance(r, LoggedQuery)]
    feedback = [r for r in rows if isinstance(r, Feedback)]
    with _transaction(connection):
        connection.executemany(
            "INSERT OR REPLACE INTO queries VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [
                (q.id, q.ts, q.endpoint, q.query, int(q.hashed), q.lang, q.mode, _json(q.filters),
                 _json(q.inferred), json.dumps(q.top_ids), q.hits, None if q.answered is None else int(q.answered),
                 q.reason, q.reason_kind, q.latency_ms)
                for q in queries
            ],
        )  # fmt: skip
        connection.executemany(
            "INSERT INTO feedback (ts, query_id, article_id, verdict, reason) VALUES (?,?,?,?,?)",
            [(f.ts, f.query_id, f.article_id, f.verdict, f.reason) for f in feedback],
        )


@contextlib.contextmanager
def _transaction(connection: sqlite3.Connection) -> Iterator[None]:
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


def prune(connection: sqlite3.Connection, *, days: int, now: float | None = None) -> int:
    """Delete rows older than ``days``; returns how many queries went."""
    cutoff = (time.time() if now is None else now) - days * 86400
    with _transaction(connection):
        gone = connection.execute("DELETE FROM queries WHERE ts < ?", (cutoff,)).rowcount
        connection.execute("DELETE FROM feedback WHERE ts < ?", (cutoff,))
    return int(gone)


def read_query(connection: sqlite3.Connection, query_id: str) -> LoggedQuery | None:
    row = connection.execute("SELECT * FROM queries WHERE id = ?", (query_id,)).fetchone()
    return None if row is None else _query(row)


def _query(row: Sequence[object]) -> LoggedQuery:
    (id_, ts, endpoint, query, hashed, lang, mode, filters, inferred, top_ids, hits, answered, reason, kind,
     latency) = row  # fmt: skip
    return LoggedQuery(
        id=str(id_),
        ts=float(ts),  # type: ignore[arg-type]
        endpoint=str(endpoint),
        query=str(query),
        hashed=bool(hashed),
        lang=str(lang),
        mode=str(mode),
        filters=None if filters is None else json.loads(str(filters)),
        inferred=None if inferred is None else json.loads(str(inferred)),
        top_ids=json.loads(str(top_ids)),
        hits=int(hits),  # type: ignore[call-overload]
        answered=None if answered is None else bool(answered),
        reason=None if reason is None else str(reason),
        reason_kind=None if kind is None else str(kind),
        latency_ms=float(latency),  # type: ignore[arg-type]
    )


def read_queries(connection: sqlite3.Connection, *, since: float = 0.0) -> Iterator[LoggedQuery]:
    """Logged queries from ``since`` (epoch seconds), oldest first, ties by id."""
    cursor = connection.execute("SELECT * FROM queries WHERE ts >= ? ORDER BY ts, id", (since,))
    return (_query(row) for row in cursor)


def read_outcomes(connection: sqlite3.Connection, *, since: float = 0.0) -> Iterator[LoggedQuery]:
    """Logged queries from ``since`` with only what the report reads (no filters, no ids): about twice as fast."""
    cursor = connection.execute(
        "SELECT id, ts, endpoint, query, hashed, lang, mode, hits, answered, reason, reason_kind, latency_ms "
        "FROM queries WHERE ts >= ? ORDER BY ts, id",
        (since,),
    )
    return (
        LoggedQuery(
            id=id_,
            ts=ts,
            endpoint=endpoint,
            query=query,
            hashed=bool(hashed),
            lang=lang,
            mode=mode,
            hits=hits,
            answered=None if answered is None else bool(answered),
            reason=reason,
            reason_kind=kind,
            latency_ms=latency,
        )
        for id_, ts, endpoint, query, hashed, lang, mode, hits, answered, reason, kind, latency in cursor
    )


def read_feedback(connection: sqlite3.Connection, *, since: float = 0.0) -> Iterator[Feedback]:
    cursor = connection.execute(
        "SELECT ts, query_id, article_id, verdict, reason FROM feedback WHERE ts >= ? ORDER BY seq", (since,)
    )
    return (
        Feedback(ts=float(ts), query_id=str(qid), article_id=aid, verdict=str(verdict), reason=reason)
        for ts, qid, aid, verdict, reason in cursor
    )


def query_texts(connection: sqlite3.Connection, ids: Iterable[str]) -> dict[str, str]:
    """The logged text of each id that is in the log."""
    found: dict[str, str] = {}
    for query_id in sorted(set(ids)):
        row = connection.execute("SELECT query FROM queries WHERE id = ?", (query_id,)).fetchone()
        if row is not None:
            found[query_id] = str(row[0])
    return found
