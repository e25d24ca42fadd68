"""Request counters and latency histograms, rendered in the Prometheus text format.

Kept in-process and dependency-free: a handful of series, one lock. Routes are labelled by
their template (``/articles/{article_id}``), never the raw path, so ids cannot blow up the
number of series; anything that matched no route is ``unmatched``, and a method outside the
HTTP standard set is ``OTHER``: a client cannot grow the page by inventing methods.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

# Seconds; from a cached keyword search to a cold model call on a busy CPU.
DEFAULT_BUCKETS: tuple[float, ...] = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

_Key = tuple[str, str, str]
# The label values a method may take; anything else a client sends is counted as OTHER.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE"})
OTHER_METHOD = "OTHER"


@dataclass(slots=True)
class _Histogram:
    counts: list[int]
    total: float = 0.0
    observations: int = 0


@dataclass(frozen=True, slots=True)
class Gauge:
    """A value for the rendered page that lives elsewhere (index size, version, reload counts).

    Samples sharing a ``name`` are rendered under one HELP/TYPE header, as the format requires;
    ``kind`` is ``gauge`` or ``counter`` (a counter's name ends in ``_total``).
    """

    name: str
    help: str
    value: float
    labels: dict[str, str] = field(default_factory=dict)
    kind: str = "gauge"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(names: Sequence[str], values: Sequence[str]) -> str:
    if not names:
        return ""
    return "{" + ",".join(f'{n}="{_escape(v)}"' for n, v in zip(names, values)) + "}"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


class Metrics:
    """Thread-safe counters keyed by (method, route, status)."""

    def __init__(self, *, buckets: Sequence[float] = DEFAULT_BUCKETS, prefix: str = "polysearch") -> None:
        self.buckets = tuple(sorted(buckets))
        self.prefix = prefix
        self._lock = threading.Lock()
        self._requests: dict[_Key, int] = {}
        self._latency: dict[_Key, _Histogram] = {}
        # Labels on every sample (a Ray replica's id): a scrape that reached one of several
        # replicas says which one its counters belong to.
        self.constant_labels: dict[str, str] = {}
        # Event counters with a few fixed labels (answers by outcome, feedback by verdict).
        self._events: dict[tuple[str, tuple[tuple[str, str], ...]], int] = {}
        self._event_help: dict[str, str] = {}

    def count(self, name: str, help: str, labels: dict[str, str] | None = None, by: int = 1) -> None:
        """Add ``by`` to the counter ``name`` (without prefix, ending in ``_total``) under ``labels``."""
        key = (name, tuple(sorted((labels or {}).items())))
        with self._lock:
            self._events[key] = self._events.get(key, 0) + by
            self._event_help.setdefault(name, help)

    def counted(self, name: str, labels: dict[str, str] | None = None) -> int:
        with self._lock:
            return self._events.get((name, tuple(sorted((labels or {}).items()))), 0)

    def event_gauges(self) -> list[Gauge]:
        with self._lock:
            return [
                Gauge(name, self._event_help[name], float(value), dict(labels), kind="counter")
                for (name, labels), value in sorted(self._events.items())
            ]

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method if method in METHODS else OTHER_METHOD, route, str(status))
        with self._lock:
            self._requests[key] = self._requests.get(key, 0) + 1
            histogram = self._latency.get(key)
            if histogram is None:
                histogram = self._latency[key] = _Histogram(counts=[0] * len(self.buckets))
            for i, bound in enumerate(self.buckets):
                if seconds <= bound:
                    histogram.counts[i] += 1
            histogram.total += seconds
            histogram.observations += 1

    def requests(self, method: str, route: str, status: int) -> int:
        with self._lock:
            return self._requests.get((method, route, str(status)), 0)

    def render(self, gauges: Iterable[Gauge] = ()) -> str:
        names = ("method", "route", "status")
        requests = f"{self.prefix}_http_requests_total"
        latency = f"{self.prefix}_http_request_duration_seconds"
        lines = [f"# HELP {requests} HTTP requests handled.", f"# TYPE {requests} counter"]
        with self._lock:
            counts = sorted(self._requests.items())
            histograms = sorted(
                ((key, _Histogram(list(h.counts), h.total, h.observations)) for key, h in self._latency.items()),
                key=lambda item: item[0],
            )
        lines += [f"{requests}{_labels(names, key)} {count}" for key, count in counts]
        lines += [f"# HELP {latency} Time to answer an HTTP request.", f"# TYPE {latency} histogram"]
        for key, histogram in histograms:
            for bound, count in zip(self.buckets, histogram.counts):
                lines.append(f"{latency}_bucket{_labels((*names, 'le'), (*key, _number(bound)))} {count}")
            lines.append(f"{latency}_bucket{_labels((*names, 'le'), (*key, '+Inf'))} {histogram.observations}")
            lines.append(f"{latency}_sum{_labels(names, key)} {histogram.total!r}")
            lines.append(f"{latency}_count{_labels(names, key)} {histogram.observations}")
        headed: set[str] = set()
        # A stable sort: samples of a name stay together.
        for gauge in sorted([*gauges, *self.event_gauges()], key=lambda g: g.name):
            metric = f"{self.prefix}_{gauge.name}"
            if metric not in headed:
                headed.add(metric)
                lines += [f"# HELP {metric} {gauge.help}", f"# TYPE {metric} {gauge.kind}"]
            label_names = sorted(gauge.labels)
            label_values = [gauge.labels[n] for n in label_names]
            lines.append(f"{metric}{_labels(label_names, label_values)} {_number(gauge.value)}")
        if self.constant_labels:
            lines = [_with_constant(line, self.constant_labels) for line in lines]
        return "\n".join(lines) + "\n"


def _with_constant(line: str, labels: dict[str, str]) -> str:
    if line.startswith("#"):
        return line
    extra = ",".join(f'{n}="{_escape(v)}"' for n, v in sorted(labels.items()))
    # The value is the last field and has no spaces; label values may.
    sample, _, value = line.rpartition(" ")
    if sample.endswith("}"):
        return f"{sample[:-1]},{extra}}} {value}"
    return f"{sample}{{{extra}}} {value}"
