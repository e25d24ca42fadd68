"""Faults in serving: new versions built under load with two workers, and overload at four times the knee.

Both run the real ``polysearch serve`` (packaged model) on a loopback port; nothing else is contacted.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from eval.errors import EvalError
from eval.faults.builds import Row
from eval.harness.http import Connection, HttpError
from eval.harness.server import free_port, polysearch_command

READY_TIMEOUT_S = 240.0
# How long after a build every worker must be on the new version (a bound on the wait, not the goal).
FOLLOW_TIMEOUT_S = 60.0
# Responses in a row on the new version that count as "every worker serves it".
IN_A_ROW = 30
CLIENT_PATIENCE_S = 2.0
LEVELS = (1, 2, 4, 8, 16)


def build_real_index(seeds: Path, out: Path) -> str:
    """``polysearch index`` with the packaged model; returns the version it wrote."""
    result = subprocess.run(
        [*polysearch_command(), "index", "--seeds", str(seeds), "--out", str(out), "--quiet"],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if result.returncode != 0:
        raise EvalError(f"polysearch index failed: {result.stderr.strip()[-300:]}")
    return (out / "CURRENT").read_text(encoding="utf-8").strip().removeprefix("v-")


class Served:
    """``polysearch serve`` as a child process, stopped on exit."""

    def __init__(self, index: Path, log: Path, *, workers: int) -> None:
        self.index, self.log, self.workers = index, log, workers
        self.url = f"http://127.0.0.1:{free_port()}"
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Served:
        env = {**os.environ, "POLYSEARCH_LOG_LEVEL": "WARNING"}
        env.pop("POLYSEARCH_INDEX_DIR", None)
        port = self.url.rsplit(":", 1)[1]
        command = [*polysearch_command(), "serve", "--index", str(self.index), "--port", port]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [*command, "--workers", str(self.workers)], stdout=log, stderr=subprocess.STDOUT, env=env
            )
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise EvalError(f"polysearch serve exited; see {self.log}")
            if len(self.worker_versions()) >= self.workers:
                return self
            time.sleep(0.25)
        raise EvalError(f"polysearch serve was not ready in {READY_TIMEOUT_S:.0f} s; see {self.log}")

    def worker_versions(self) -> list[str]:
        """The version each live worker reports on the index's status board (``.serving/``)."""
        versions = []
        for path in (self.index / ".serving").glob("*.json"):
            try:
                status = json.loads(path.read_bytes())
            except (OSError, ValueError):
                continue
            if time.time() - float(status.get("updated", 0)) < 5 and status.get("version"):
                versions.append(str(status["version"]))
        return versions

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def reload_under_load(seeds: Path, index: Path, work: Path, *, rebuilds: int, clients: int) -> Row:
    """Two workers under steady load while new versions are built; no request may fail."""
    row = Row("new versions built under load, 2 workers")
    seen: list[tuple[float, int, str]] = []
    stop = threading.Event()

    def client() -> None:
        # A new connection per request, so the kernel spreads requests over both workers.
        with httpx.Client(timeout=30, limits=httpx.Limits(max_keepalive_connections=0)) as http:
            n = 0
            while not stop.is_set():
                n += 1
                try:
                    response = http.get(f"{served.url}/search", params={"q": f"university office {n}"})
                    body = response.json()
                    version = str(body.get("index_version") if response.status_code == 200 else body.get("detail"))
                    seen.append((time.monotonic(), response.status_code, version))
                except (httpx.HTTPError, ValueError) as exc:
                    seen.append((time.monotonic(), -1, type(exc).__name__))

    lags: list[float] = []
    late = 0
    with Served(index, work / "reload-serve.log", workers=2) as served:
        threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
        for thread in threads:
            thread.start()
        try:
            for number in range(rebuilds):
                (seeds / f"zz_campaign_{number}.txt").write_text(
                    f"Campaign article {number}\n\n1 March 2024 News 1\n\n"
                    f"The fault campaign added article number {number} about robotics laboratory {number}.",
                    encoding="utf-8",
                )
                version = build_real_index(seeds, index)
                built = time.monotonic()
                while time.monotonic() - built < FOLLOW_TIMEOUT_S:
                    after = [s for s in seen if s[0] > built]
                    if len(after) >= IN_A_ROW and all(v == version for _, _, v in after[-IN_A_ROW:]):
                        break
                    time.sleep(0.1)
                else:
                    late += 1
                    row.notes.append(f"rebuild {number}: workers not all on {version} in {FOLLOW_TIMEOUT_S:.0f} s")
                old = [t for t, _, v in seen if t > built and v != version]
                lags.append(max(old) - built if old else 0.0)
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=60)
    failed = [s for s in seen if s[1] != 200]
    row.tries = len(seen)
    row.notes += [f"HTTP {status} {what}" for _, status, what in failed[:3]]
    row.failures = len(failed) + late
    row.checked = (
        f"{rebuilds} versions built by `polysearch index` under {clients} clients: every response 200; "
        f"both workers on each new version, the last old answer {max(lags, default=0):.1f} s after the build"
    )
    return row


@dataclass(slots=True)
class Outcome:
    statuses: Counter[int]
    latency_s: dict[int, list[float]]
    gave_up: int
    seconds: float

    def rate(self, status: int = 200) -> float:
        return self.statuses[status] / self.seconds if self.seconds else 0.0


async def _closed_loop(url: str, clients: int, seconds: float, *, patience_s: float) -> Outcome:
    """``clients`` clients, each sending its next search when the last answered or it gave up waiting."""
    outcome = Outcome(Counter(), {}, 0, 0.0)
    deadline = time.perf_counter() + seconds
    counter = iter(range(10**9))

    async def one() -> None:
        connection = Connection(url)
        try:
            while time.perf_counter() < deadline:
                sent = time.perf_counter()
                try:
                    status, _ = await asyncio.wait_for(
                        connection.get("/search", {"q": f"university news {next(counter)}"}), patience_s
                    )
                except (TimeoutError, HttpError):
                    outcome.gave_up += 1
                    await connection.close()  # the client hangs up, as an impatient browser would
                    continue
                outcome.statuses[status] += 1
                outcome.latency_s.setdefault(status, []).append(time.perf_counter() - sent)
        finally:
            await connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(clients)))
    outcome.seconds = time.perf_counter() - started
    return outcome


async def _probe_health(url: str, stop: Any) -> list[float]:
    latencies = []
    connection = Connection(url)
    try:
        while not stop.is_set():
            sent = time.perf_counter()
            try:
                await asyncio.wait_for(connection.get("/health"), 5.0)
                latencies.append(time.perf_counter() - sent)
            except (TimeoutError, HttpError):
                latencies.append(5.0)
                await connection.close()
            await asyncio.sleep(0.1)
    finally:
        await connection.close()
    return latencies


def _health_probe_process(url: str, stop: Any, results: Any) -> None:
    """Entry of the /health prober's own process (see ``HealthProbe``)."""
    results.put(asyncio.run(_probe_health(url, stop)))


class HealthProbe:
    """``/health`` every 100 ms from a process of its own, while the load runs.

    In the load generator's event loop, a probe's answer would wait for the client's own
    turn behind 64 busy connections, and the figure would measure the client.
    """

    def __init__(self, url: str) -> None:
        context = multiprocessing.get_context("spawn")
        self._stop = context.Event()
        self._results: Any = context.Queue()
        self._process = context.Process(target=_health_probe_process, args=(url, self._stop, self._results))

    def start(self) -> None:
        self._process.start()

    def stop(self) -> list[float]:
        self._stop.set()
        latencies: list[float] = self._results.get(timeout=60)
        self._process.join(timeout=60)
        return latencies


def _histograms(url: str) -> dict[tuple[str, str], list[tuple[float, float]]]:
    """``(route, status)`` -> the cumulative ``(le, count)`` buckets of the request-duration histogram."""
    text = httpx.get(f"{url}/metrics", timeout=30).text
    found: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for match in _BUCKET.finditer(text):
        route, status, le, count = match.groups()
        found.setdefault((route, status), []).append((float(le), float(count)))
    return found


_BUCKET = re.compile(
    r'^polysearch_http_request_duration_seconds_bucket\{method="GET",route="([^"]*)",status="(\d+)",'
    r'le="([^"]+)"\} (\S+)$',
    re.MULTILINE,
)


def _in_app_p99(
    before: dict[tuple[str, str], list[tuple[float, float]]],
    after: dict[tuple[str, str], list[tuple[float, float]]],
    key: tuple[str, str],
) -> float:
    """Upper bound (s) of the bucket holding the 99th percentile of what ``key`` took in the app, between two reads."""
    old = dict(before.get(key, []))
    counts = [(le, count - old.get(le, 0.0)) for le, count in after.get(key, [])]
    if not counts or counts[-1][1] <= 0:
        return 0.0
    total = counts[-1][1]
    return next(le for le, count in counts if count >= 0.99 * total)


def _capacity(url: str) -> int:
    match = re.search(r"^polysearch_compute_requests_capacity (\S+)$", httpx.get(f"{url}/metrics").text, re.MULTILINE)
    if match is None:
        raise EvalError("the service's /metrics shows no compute_requests_capacity")
    return int(float(match.group(1)))


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


async def _overload(url: str, *, level_s: float, overload_s: float) -> tuple[Row, dict[str, float]]:
    row = Row("overload at 4x the knee, at least 2x capacity (1 worker)")
    rates = {}
    for clients in LEVELS:
        rates[clients] = (await _closed_loop(url, clients, level_s, patience_s=30.0)).rate()
    best = max(rates.values())
    knee = min(c for c, r in rates.items() if r >= 0.9 * best)
    # On a quiet machine the knee can be so low that 4x it fits in the admission queue and
    # nothing is refused; twice the capacity makes sure the refusal path is what is measured.
    capacity = _capacity(url)
    clients = max(4 * knee, 2 * capacity)
    before = _histograms(url)
    probe = HealthProbe(url)
    probe.start()
    outcome = await _closed_loop(url, clients, overload_s, patience_s=CLIENT_PATIENCE_S)
    ended = time.perf_counter()
    recovery = None
    connection = Connection(url)
    try:
        while time.perf_counter() - ended < 30:
            status, _ = await connection.get("/search", {"q": "university office after the load"})
            if status == 200:
                recovery = time.perf_counter() - ended
                break
    finally:
        await connection.close()
    health_latencies = probe.stop()
    after = _histograms(url)
    row.tries = sum(outcome.statuses.values()) + outcome.gave_up
    other = {s: n for s, n in outcome.statuses.items() if s not in (200, 503)}
    for status, count in other.items():
        row.failures += count
        row.notes.append(f"{count} x HTTP {status}")
    rejected_p99 = _p(outcome.latency_s.get(503, []), 0.99)
    figures = {
        "knee": knee,
        "capacity": capacity,
        "clients": clients,
        "ok": outcome.statuses[200],
        "rejected": outcome.statuses[503],
        "gave_up": outcome.gave_up,
        "rejected_p99_ms": rejected_p99 * 1000,
        "rejected_in_app_p99_ms": _in_app_p99(before, after, ("/search", "503")) * 1000,
        "ok_p99_ms": _p(outcome.latency_s.get(200, []), 0.99) * 1000,
        "health_p99_ms": _p(health_latencies, 0.99) * 1000,
        "health_in_app_p99_ms": _in_app_p99(before, after, ("/health", "200")) * 1000,
        "recovery_ms": (recovery if recovery is not None else float("inf")) * 1000,
        "throughput_at_knee": rates[knee],
        "throughput_overloaded": outcome.rate(),
    }
    if not outcome.statuses[503]:
        row.fail(f"{clients} clients against a capacity of {capacity}: nothing was refused")
    for name, limit in (("rejected_p99_ms", 100.0), ("health_p99_ms", 100.0), ("recovery_ms", 1000.0)):
        if figures[name] >= limit:
            row.fail(f"{name} {figures[name]:.0f} >= {limit:.0f}")
    row.checked = (
        f"knee {knee} clients ({rates[knee]:.0f} req/s), capacity {capacity}; {clients} clients with "
        f"{CLIENT_PATIENCE_S:.0f} s patience, retrying at once: "
        f"{outcome.statuses[200]} x 200 ({outcome.rate():.0f}/s), "
        f"{outcome.statuses[503]} x 503 (p99 {figures['rejected_p99_ms']:.0f} ms; in the app "
        f"<= {figures['rejected_in_app_p99_ms']:.0f} ms), {outcome.gave_up} gave up; /health p99 "
        f"{figures['health_p99_ms']:.0f} ms (in the app <= {figures['health_in_app_p99_ms']:.0f} ms); "
        f"first 200 {figures['recovery_ms']:.0f} ms after the load"
    )
    return row, figures


def overload(index: Path, work: Path, *, level_s: float, overload_s: float) -> Row:
    with Served(index, work / "overload-serve.log", workers=1) as served:
        row, _ = asyncio.run(_overload(served.url, level_s=level_s, overload_s=overload_s))
    return row


def copy_seeds(seeds: Path, work: Path) -> Path:
    target = work / "service-seeds"
    shutil.copytree(seeds, target)
    return target
