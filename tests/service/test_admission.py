"""Admission control: a full compute path refuses at once, late work is dropped, departed clients cost nothing."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from indexer.encoders.base import Vectors
from service.admission import Admission, AdmissionGate, DisconnectGuard, current_ticket
from service.app import create_app
from service.config import Settings
from service.errors import redact_paths
from tests.fakes import FakeEncoder
from tests.service.conftest import concurrent_client


class GateEncoder(FakeEncoder):
    """The fake encoder, but a query containing ``hold`` blocks until the test opens the gate."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.holding = threading.Event()
        self.seen: list[str] = []

    def encode(self, texts: Sequence[str], *, batch_size: int = 64, show_progress: bool = False) -> Vectors:
        self.seen.extend(texts)
        if any("hold" in text for text in texts):
            self.holding.set()
            self.gate.wait(timeout=30)
        return super().encode(texts, batch_size=batch_size, show_progress=show_progress)


async def _wait_ready(client: httpx.AsyncClient) -> None:
    for _ in range(500):
        if (await client.get("/ready")).status_code == 200:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("never ready")


async def _until(event: threading.Event) -> None:
    for _ in range(3000):
        if event.is_set():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the encoder was never reached")


async def _until_in_flight(app: Any, count: int) -> None:
    """Until ``count`` requests hold a compute slot: under load a request sent may not be in yet."""
    for _ in range(3000):
        if app.state.admission.in_flight >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never {count} requests in flight")


def _app(tiny_index: Path, encoder: FakeEncoder, **changes: Any) -> Any:
    settings = Settings(index_dir=tiny_index, compute_threads=1, **changes)
    return create_app(settings, encoder=encoder)


def test_beyond_capacity_is_refused_at_once_with_retry_after(tiny_index: Path) -> None:
    encoder = GateEncoder()

    async def scenario() -> None:
        app = _app(tiny_index, encoder, max_queue=2)
        async with concurrent_client(app) as client:
            await _wait_ready(client)
            running = asyncio.ensure_future(client.get("/search", params={"q": "hold office", "mode": "dense"}))
            await _until(encoder.holding)
            queued = asyncio.ensure_future(client.get("/ask", params={"q": "summit"}))
            await _until_in_flight(app, 2)  # it has taken the second slot
            refused = await client.get("/search", params={"q": "shanghai"})
            health = await client.get("/health")
            encoder.gate.set()
            assert refused.status_code == 503
            assert refused.headers["retry-after"] == "1"
            assert refused.json()["error"] == "overloaded"
            # Refused at the edge, it still has what every response has.
            assert refused.headers["content-type"] == "application/json"
            assert refused.headers["x-content-type-options"] == "nosniff" and refused.headers["x-request-id"]
            assert health.status_code == 200
            assert (await running).status_code == 200
            assert (await queued).status_code == 200
            # The slots are free again once the load is gone.
            assert (await client.get("/search", params={"q": "shanghai"})).status_code == 200
            metrics = (await client.get("/metrics")).text
            assert "polysearch_compute_requests_rejected_total 1" in metrics
            assert "polysearch_compute_requests_in_progress 0" in metrics
            assert 'route="/search",status="503"' in metrics

    asyncio.run(scenario())
    assert not any("shanghai" in text for text in encoder.seen[:-1])


def test_work_queued_past_its_deadline_is_dropped_unstarted(tiny_index: Path) -> None:
    encoder = GateEncoder()

    async def scenario() -> None:
        app = _app(tiny_index, encoder, queue_deadline_ms=20)
        async with concurrent_client(app) as client:
            await _wait_ready(client)
            running = asyncio.ensure_future(client.get("/search", params={"q": "hold office", "mode": "dense"}))
            await _until(encoder.holding)
            late = asyncio.ensure_future(client.get("/search", params={"q": "delegation", "mode": "dense"}))
            # Admitted (its deadline runs from here), then well past the 20 ms deadline while the
            # encoder is busy. A fixed sleep alone let a loaded machine open the gate before the
            # request was even in, and it was answered 200.
            await _until_in_flight(app, 2)
            await asyncio.sleep(0.2)
            encoder.gate.set()
            assert (await late).status_code == 503
            assert (await late).json()["error"] == "overloaded"
            # The running request started before its deadline: its later steps are not dropped.
            assert (await running).status_code == 200

    asyncio.run(scenario())
    assert not any("delegation" in text for text in encoder.seen)


def test_a_departed_clients_queued_work_is_never_computed(tiny_index: Path) -> None:
    encoder = GateEncoder()
    app = _app(tiny_index, encoder)
    sent: list[dict[str, Any]] = []

    async def scenario() -> None:
        async with concurrent_client(app) as client:
            await _wait_ready(client)
            running = asyncio.ensure_future(client.get("/search", params={"q": "hold office", "mode": "dense"}))
            await _until(encoder.holding)
            gone = asyncio.Event()

            async def receive() -> dict[str, Any]:
                if not gone.is_set():
                    gone.set()
                    return {"type": "http.request", "body": b"", "more_body": False}
                await asyncio.sleep(0.05)  # the client hangs up while its query is queued
                return {"type": "http.disconnect"}

            async def send(message: dict[str, Any]) -> None:
                sent.append(message)

            scope = {
                "type": "http",
                "asgi": {"version": "3.0"},
                "http_version": "1.1",
                "method": "GET",
                "scheme": "http",
                "path": "/search",
                "raw_path": b"/search",
                "root_path": "",
                "query_string": b"q=delegation&mode=dense",
                "headers": [(b"host", b"testserver")],
                "client": ("127.0.0.1", 5000),
                "server": ("testserver", 80),
                "state": {},
            }
            await app(scope, receive, send)
            encoder.gate.set()
            assert (await running).status_code == 200
            metrics = (await client.get("/metrics")).text
            assert 'route="/search",status="499"' in metrics

    asyncio.run(scenario())
    assert sent == []
    assert not any("delegation" in text for text in encoder.seen)


def _scope(path: str, app: Any, method: str = "GET") -> dict[str, Any]:
    return {
        "type": "http",
        "method": method,
        "path": path,
        "headers": [(b"host", b"testserver")],
        "app": app,
        "state": {},
    }


class _Recorder:
    """An inner ASGI app that records what reached it and whether it ran under a ticket."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        self.tickets: list[bool] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.paths.append(scope["path"])
        self.tickets.append(current_ticket() is not None)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}", "more_body": False})


def _run_gate(gate: AdmissionGate, scope: dict[str, Any]) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(gate(scope, receive, send))
    return sent


def test_a_refused_request_never_reaches_the_framework() -> None:
    inner = _Recorder()
    gate = AdmissionGate(inner)
    admission = Admission(1, deadline_s=2.0)
    app = SimpleNamespace(state=SimpleNamespace(admission=admission))
    admission.in_flight = 1  # the one slot is taken
    for path, method in (("/search", "GET"), ("/ask", "POST"), ("/search/", "GET")):
        sent = _run_gate(gate, _scope(path, app, method))
        assert sent[0]["status"] == 503
        assert (b"retry-after", b"1") in sent[0]["headers"]
        assert json.loads(sent[1]["body"])["error"] == "overloaded"
    assert inner.paths == [] and admission.rejected == 3
    # Requests that compute nothing pass whatever the load, and take no slot.
    for path in ("/health", "/ready", "/metrics", "/"):
        assert _run_gate(gate, _scope(path, app))[0]["status"] == 200
    assert inner.paths == ["/health", "/ready", "/metrics", "/"] and inner.tickets == [False] * 4
    # A method the route does not take is the framework's to refuse (405), at once, body unread.
    assert _run_gate(gate, _scope("/search", app, "POST"))[0]["status"] == 200
    assert inner.paths[-1] == "/search" and inner.tickets[-1] is False
    assert admission.rejected == 3 and admission.in_flight == 1


def test_an_admitted_request_runs_under_its_ticket_and_frees_its_slot() -> None:
    inner = _Recorder()
    admission = Admission(1, deadline_s=2.0)
    app = SimpleNamespace(state=SimpleNamespace(admission=admission))
    assert _run_gate(AdmissionGate(inner), _scope("/search", app))[0]["status"] == 200
    assert inner.tickets == [True] and admission.in_flight == 0 and admission.admitted == 1


def test_only_compute_requests_get_a_disconnect_watcher(tiny_index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The watcher costs two tasks, each a turn of the event loop; /health under load paid them.
    watched: list[str] = []
    original = DisconnectGuard.__call__

    async def recording(self: DisconnectGuard, scope: Any, receive: Any, send: Any) -> None:
        watched.append(scope["path"])
        await original(self, scope, receive, send)

    monkeypatch.setattr(DisconnectGuard, "__call__", recording)

    async def scenario() -> None:
        async with concurrent_client(_app(tiny_index, FakeEncoder())) as client:
            await _wait_ready(client)
            assert (await client.get("/health")).status_code == 200
            assert (await client.get("/search", params={"q": "summit"})).status_code == 200

    asyncio.run(scenario())
    assert "/health" not in watched and "/ready" not in watched
    assert watched == ["/search"]


def test_error_details_resolve_the_index_path_once(tiny_index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Resolving walks the file system; per error, it was most of what a 503 cost the event loop.
    message = f"cannot read {tiny_index.resolve()}/CURRENT"
    calls = 0
    original = Path.resolve

    def counting(self: Path, strict: bool = False) -> Path:
        nonlocal calls
        calls += 1
        return original(self, strict)

    monkeypatch.setattr(Path, "resolve", counting)
    index_dir = tiny_index / "sub" / ".."
    for _ in range(5):
        assert redact_paths(message, index_dir) == "cannot read CURRENT"
        plain = "the service is at capacity; try again"
        assert redact_paths(plain, index_dir) == plain
    assert calls <= 1


def test_a_body_still_arriving_holds_no_compute_slot(tiny_index: Path) -> None:
    app = _app(tiny_index, FakeEncoder(), max_queue=1)
    body = b'{"question": "where was the summit held?"}'
    rest_sent = asyncio.Event()
    sent: list[dict[str, Any]] = []
    parts = [body[:10], body[10:]]

    async def slow_receive() -> dict[str, Any]:
        if len(parts) == 2:
            return {"type": "http.request", "body": parts.pop(0), "more_body": True}
        if parts:
            await rest_sent.wait()  # the client takes its time with the rest of the body
            return {"type": "http.request", "body": parts.pop(0), "more_body": False}
        await asyncio.Event().wait()  # then stays connected
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def scenario() -> None:
        async with concurrent_client(app) as client:
            await _wait_ready(client)
            scope = {
                "type": "http",
                "asgi": {"version": "3.0"},
                "http_version": "1.1",
                "method": "POST",
                "scheme": "http",
                "path": "/ask",
                "raw_path": b"/ask",
                "root_path": "",
                "query_string": b"",
                "headers": [(b"host", b"testserver"), (b"content-type", b"application/json")],
                "client": ("127.0.0.1", 5000),
                "server": ("testserver", 80),
                "state": {},
            }
            slow = asyncio.ensure_future(app(scope, slow_receive, send))
            await asyncio.sleep(0.05)  # the first part is in; the rest is not
            # The one slot is free for a request that is ready to compute.
            assert (await client.get("/search", params={"q": "summit"})).status_code == 200
            rest_sent.set()
            await slow
            assert sent[0]["status"] == 200
            assert json.loads(b"".join(m.get("body", b"") for m in sent[1:]))["question"].startswith("where")

    asyncio.run(scenario())
