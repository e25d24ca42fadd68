"""Feedback on answers and results: checked against the logged query, rate-limited per client, counted.

The limit is kept in memory by client address and never written anywhere: the log stores no
address, and the limiter forgets an address once its bucket is full again.
"""

from __future__ import annotations

import threading
import time

from indexer.errors import NotFoundError
from indexer.insights.store import Feedback
from service.querylog import FEEDBACK_METRIC, Logged, QueryLog

# A person clicks a few verdicts a minute; a script posting hundreds is refused.
FEEDBACK_BURST = 20
FEEDBACK_PER_MINUTE = 20.0
# Addresses tracked at once; beyond it the longest idle are forgotten (a full bucket anyway).
MAX_CLIENTS = 10_000


class RateLimiter:
    """A token bucket per client address, in memory only."""

    def __init__(self, *, burst: int = FEEDBACK_BURST, per_minute: float = FEEDBACK_PER_MINUTE) -> None:
        self.burst = float(burst)
        self.rate = per_minute / 60.0
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}

    def allow(self, client: str, *, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._buckets.pop(client, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            allowed = tokens >= 1.0
            if allowed:
                tokens -= 1.0
            if tokens < self.burst:
                self._buckets[client] = (tokens, now)  # re-inserted last: the dict's order is idleness
            while len(self._buckets) > MAX_CLIENTS:
                del self._buckets[next(iter(self._buckets))]
            return allowed

    def retry_after_s(self) -> int:
        return max(1, round(1.0 / self.rate))


def feedback_record(
    logged: Logged, query_id: str, article_id: str | None, verdict: str, reason: str | None
) -> Feedback:
    """The row for a verdict; ``article_id`` None means the answer card (the answer's article, if any)."""
    if verdict == "yes":
        reason = None  # the reasons say what was wrong; with "yes" there is nothing to say
    if article_id is not None and article_id not in logged.top_ids:
        raise NotFoundError(f"article {article_id!r} is not among the results of query {query_id!r}")
    if article_id is None and logged.answered:
        article_id = logged.top_ids[0] if logged.top_ids else None
    return Feedback(ts=time.time(), query_id=query_id, article_id=article_id, verdict=verdict, reason=reason)


def logged_query(query_log: QueryLog | None, query_id: str) -> Logged:
    """The logged query feedback is about; ``NotFoundError`` when the log is off or holds no such id."""
    if query_log is None:
        raise NotFoundError("feedback is kept in the query log, which is off (POLYSEARCH_QUERY_LOG)")
    found = query_log.find(query_id)
    if found is None:
        raise NotFoundError(f"no logged query {query_id!r}")
    return found


__all__ = ["FEEDBACK_METRIC", "RateLimiter", "feedback_record", "logged_query"]
